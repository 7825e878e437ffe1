// The `$` tagged template: words of the literal text are split on whitespace and each
// ${value} is exactly one argument (an array: one argument per element). Nothing is
// ever parsed by a shell, so values need no quoting.
import { invalid } from '../util/validate.js';
import { type ExecOptions, normalize } from './options.js';
import { ExecProcess } from './process.js';
import type { OutputOf } from './run.js';

/** `$\`cmd ${arg}\``, or `$(options)` for a template bound to those options. */
export interface Template<O extends string | Buffer = string> {
  (strings: TemplateStringsArray, ...values: unknown[]): ExecProcess<O>;
  <T extends ExecOptions>(options: T): Template<OutputOf<T>>;
}

function isTemplate(v: unknown): v is TemplateStringsArray {
  return Array.isArray(v) && Array.isArray((v as unknown as TemplateStringsArray).raw);
}

function stringify(v: unknown, i: number): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString();
  if (v !== null && typeof v === 'object' && 'stdout' in v) {
    const out = (v as { stdout: unknown }).stdout; // a result: use its output, like $(...) in a shell
    const text = typeof out === 'string' ? out : Buffer.isBuffer(out) ? out.toString() : undefined;
    if (text !== undefined) return text.replace(/\r?\n$/, '');
  }
  throw invalid(`\${${i}}`, 'a string, number, boolean, array or command result', v);
}

/** Splits a template into file and arguments. Exported for tests. */
export function parseTemplate(strings: readonly string[], values: readonly unknown[]): string[] {
  const tokens: string[] = [];
  let cur: string | undefined; // the word being built, undefined between words
  let afterArray = false;
  const flush = () => {
    if (cur !== undefined) tokens.push(cur);
    cur = undefined;
  };
  for (let i = 0; i < strings.length; i++) {
    const parts = strings[i]!.split(/[ \t\r\n]+/);
    if (afterArray && parts[0] !== '')
      throw invalid(`\${${i - 1}}`, 'separated by spaces when it is an array', values[i - 1]);
    afterArray = false;
    parts.forEach((p, j) => {
      if (j > 0) flush();
      if (p !== '') cur = (cur ?? '') + p;
    });
    if (i === values.length) break;
    const v = values[i];
    if (Array.isArray(v)) {
      if (cur !== undefined) throw invalid(`\${${i}}`, 'separated by spaces when it is an array', v);
      for (const x of v) tokens.push(stringify(x, i));
      afterArray = true;
    } else cur = (cur ?? '') + stringify(v, i);
  }
  flush();
  return tokens;
}

function bind(options: ExecOptions | undefined): Template<any> {
  const fn = (first: unknown, ...values: unknown[]): unknown => {
    if (!isTemplate(first)) return bind({ ...options, ...(first as ExecOptions) });
    // Cooked text, as JS reads it (`\n` is a newline, so whitespace); raw where an escape is invalid.
    const tokens = parseTemplate(
      first.map((c, i) => c ?? first.raw[i]!),
      values,
    );
    if (tokens.length === 0) throw invalid('command', 'a template with a program name', '');
    const [file, ...args] = tokens as [string, ...string[]];
    return new ExecProcess(file, args, normalize(options, { stdin: 'pipe', buffer: 'auto' }));
  };
  return fn as Template<any>;
}

/** Tagged-template form of spawn(): `await $\`git log -n ${n} ${path}\``. Never uses a shell. */
export const $: Template = bind(undefined);
/** The same as `$`, for those who prefer a name. */
export const sh: Template = $;
