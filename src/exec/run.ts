// run() and spawn(): argument handling shared by both entry points.
import { toPath } from '../util/paths.js';
import { invalid } from '../util/validate.js';
import { type ExecOptions, normalize } from './options.js';
import { ExecProcess } from './process.js';
import type { ExecResult, Output } from './result.js';

/** Arrays of lines with `lines: true`, `Buffer` output with `encoding: 'buffer'`, otherwise strings. */
export type OutputOf<T> = T extends { lines: true } ? string[] : T extends { encoding: 'buffer' } ? Buffer : string;

function isUrl(value: object): boolean {
  try {
    return value instanceof URL;
  } catch {
    return false; // a Proxy whose traps throw
  }
}

/** Accepts `(file, args, options)` or `(file, options)`; validates file and args. A `file:` URL is its path. */
export function parseArgs(file: unknown, args: unknown, options: unknown): [string, string[], ExecOptions | undefined] {
  if (typeof file === 'object' && file !== null && isUrl(file)) file = toPath('file', file);
  // A NUL byte cannot reach a program (C strings end there); Node's own error would be a raw TypeError.
  if (typeof file !== 'string' || file === '' || file.includes('\0'))
    throw invalid('file', 'a non-empty string without NUL bytes, or a file: URL', file);
  if (args !== undefined && !Array.isArray(args)) {
    if (options !== undefined) throw invalid('args', 'an array of strings', args);
    return [file, [], args as ExecOptions];
  }
  const list = (args ?? []) as unknown[];
  for (let i = 0; i < list.length; i++) {
    const a = list[i];
    if (typeof a !== 'string' || a.includes('\0')) throw invalid(`args[${i}]`, 'a string without NUL bytes', a);
  }
  return [file, list as string[], options as ExecOptions | undefined];
}

/**
 * Starts a program and returns its handle at once: stream its output (`lines()`,
 * `.stdout`), talk to it (`write()`, `end()`), pipe it, kill it, or await its result.
 */
export function spawn<T extends ExecOptions = ExecOptions>(
  file: string | URL,
  args?: readonly string[],
  options?: T,
): ExecProcess<OutputOf<T>>;
export function spawn<T extends ExecOptions = ExecOptions>(file: string | URL, options?: T): ExecProcess<OutputOf<T>>;
export function spawn(file: string | URL, args?: unknown, options?: unknown): ExecProcess<Output> {
  const [f, a, o] = parseArgs(file, args, options);
  return new ExecProcess(f, a, normalize(o, { stdin: 'pipe', buffer: 'auto' }));
}

/**
 * Runs a program to completion and resolves with its output. stdin is empty unless
 * `input` is given, so a program waiting for input cannot hang the call.
 */
export function run<T extends ExecOptions = ExecOptions>(
  file: string | URL,
  args?: readonly string[],
  options?: T,
): Promise<ExecResult<OutputOf<T>>>;
export function run<T extends ExecOptions = ExecOptions>(
  file: string | URL,
  options?: T,
): Promise<ExecResult<OutputOf<T>>>;
export async function run(file: string | URL, args?: unknown, options?: unknown): Promise<ExecResult<Output>> {
  const [f, a, o] = parseArgs(file, args, options);
  const n = normalize(o, { stdin: 'ignore', buffer: true });
  n.buffer = n.buffer !== false; // nobody else can read the output of run()
  return new ExecProcess(f, a, n);
}
