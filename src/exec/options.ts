// Public option types of spindle/exec and their validation into one normalized shape.

import { constants } from 'node:os';
import { Readable, type Stream, Writable } from 'node:stream';
import { isatty } from 'node:tty';
import { fileURLToPath } from 'node:url';
import { type Duration, optionalDuration, parseDuration } from '../util/duration.js';
import { checkNumber, checkObject, checkOneOf, checkSignal, invalid, optionalBoolean } from '../util/validate.js';

/** What one of the child's stdio slots is connected to (as in node:child_process, plus any Writable/Readable). */
export type StdioOption = 'pipe' | 'inherit' | 'ignore' | number | Stream;

/** What `input` accepts: text, bytes, or a stream/iterable that is piped to stdin. */
export type ExecInput =
  | string
  | Uint8Array
  | Readable
  | ReadableStream<Uint8Array>
  | AsyncIterable<string | Uint8Array>;

export interface ExecOptions {
  /** Working directory (default: the parent's). */
  cwd?: string | URL;
  /** Variables merged over `process.env`, or replacing it with `extendEnv: false`. `undefined` removes one. */
  env?: Record<string, string | undefined>;
  /** Merge `env` over `process.env` (default true). */
  extendEnv?: boolean;
  /** Written to stdin, which is then closed. */
  input?: ExecInput;
  /** Kill the command (and its process group) after this many ms; 0 = never (default). */
  timeout?: Duration;
  /** Aborting kills the command (or prevents it from starting). */
  signal?: AbortSignal;
  /** Signal sent for timeout, abort, maxBuffer and `kill()` (default 'SIGTERM'). */
  killSignal?: NodeJS.Signals | number;
  /** Ms to wait after `killSignal` before SIGKILL (default 3000; 0 = SIGKILL at once). */
  killGrace?: Duration;
  /** Bytes kept per output stream before the command is killed (default 100 MiB; Infinity allowed). */
  maxBuffer?: number;
  /** Text encoding of `stdout`/`stderr`, or 'buffer' for Buffers (default 'utf8'). */
  encoding?: BufferEncoding | 'buffer';
  /** Drop one trailing newline from buffered text output (default true). */
  stripFinalNewline?: boolean;
  /** All three slots at once: 'pipe' (default), 'inherit', 'ignore', or an array. */
  stdio?: StdioOption | readonly StdioOption[];
  stdin?: StdioOption;
  stdout?: StdioOption;
  stderr?: StdioOption;
  /** Run through a shell: true = /bin/sh (cmd.exe on Windows), or a shell path. Off by default. */
  shell?: boolean | string;
  /** Let the command outlive this process (it is then never killed on our exit). Default false. */
  detached?: boolean;
  /**
   * Kill the whole process group, grandchildren included (POSIX). Default true, except when a
   * stdio slot is inherited from a terminal: a program that needs the terminal (ssh, sudo, less)
   * must stay in our session.
   */
  killTree?: boolean;
  /** Reject on failure (default true); false resolves with `failed: true` and `error`. */
  reject?: boolean;
  /**
   * Keep stdout/stderr for the result. run(): always. spawn(): default 'auto' = until you
   * consume that stream yourself (lines(), .stdout, pipe()); true = always; false = never.
   */
  buffer?: boolean | 'auto';
  uid?: number;
  gid?: number;
  argv0?: string;
  /** Hide the console window on Windows (default true). */
  windowsHide?: boolean;
}

export type NodeStdio = 'pipe' | 'inherit' | 'ignore' | number | Stream;

export interface Normalized {
  cwd: string | undefined;
  env: NodeJS.ProcessEnv | undefined;
  input: ExecInput | undefined;
  timeout: number;
  signal: AbortSignal | undefined;
  killSignal: NodeJS.Signals | number;
  killGrace: number;
  maxBuffer: number;
  encoding: BufferEncoding | 'buffer';
  stripFinalNewline: boolean;
  /** What node:child_process gets. A user Writable/Readable becomes 'pipe' and is wired by us. */
  stdio: NodeStdio[];
  /** User streams that we pipe ourselves (child_process only accepts streams with an fd). */
  sinks: [Readable | undefined, Writable | undefined, Writable | undefined];
  shell: boolean | string;
  detached: boolean;
  killTree: boolean;
  reject: boolean;
  buffer: boolean | 'auto';
  uid: number | undefined;
  gid: number | undefined;
  argv0: string | undefined;
  windowsHide: boolean;
}

export const DEFAULT_MAX_BUFFER = 100 * 1024 * 1024;
export const DEFAULT_KILL_GRACE = 3000;
const ENCODINGS = [
  'utf8',
  'utf-8',
  'utf16le',
  'latin1',
  'ascii',
  'base64',
  'base64url',
  'hex',
  'binary',
  'ucs2',
  'ucs-2',
  'buffer',
] as const;
const SIGNALS = Object.keys(constants.signals) as NodeJS.Signals[];

function stdioValue(option: string, value: unknown): StdioOption {
  if (value === 'pipe' || value === 'inherit' || value === 'ignore') return value;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (value instanceof Readable || value instanceof Writable) return value;
  throw invalid(option, "'pipe', 'inherit', 'ignore', a file descriptor or a stream", value);
}

function hasFd(stream: Stream): boolean {
  return typeof (stream as { fd?: unknown }).fd === 'number';
}

function checkInput(value: unknown): ExecInput | undefined {
  if (value === undefined || typeof value === 'string' || value instanceof Uint8Array || value instanceof Readable) {
    return value as ExecInput | undefined;
  }
  const v = value as { getReader?: unknown; [Symbol.asyncIterator]?: unknown } | null;
  if (v && (typeof v.getReader === 'function' || typeof v[Symbol.asyncIterator] === 'function')) return v as ExecInput;
  throw invalid('input', 'a string, a Buffer, a readable stream or an async iterable', value);
}

/** Validates user options; `defaults` differ between run() (stdin ignored) and spawn() (stdin piped). */
export function normalize(
  options: ExecOptions | undefined,
  defaults: { stdin: 'pipe' | 'ignore'; buffer: boolean | 'auto' },
): Normalized {
  const o = (checkObject('options', options) ?? {}) as ExecOptions;
  const cwd = o.cwd === undefined ? undefined : o.cwd instanceof URL ? fileURLToPath(o.cwd) : o.cwd;
  if (cwd !== undefined && (typeof cwd !== 'string' || cwd === ''))
    throw invalid('cwd', 'a path string or file URL', o.cwd);
  const envIn = checkObject('env', o.env);
  const extendEnv = optionalBoolean('extendEnv', o.extendEnv, true);
  let env: NodeJS.ProcessEnv | undefined;
  if (envIn) {
    for (const [k, v] of Object.entries(envIn)) {
      if (v !== undefined && typeof v !== 'string') throw invalid(`env.${k}`, 'a string or undefined', v);
    }
    env = extendEnv ? { ...process.env, ...(envIn as NodeJS.ProcessEnv) } : (envIn as NodeJS.ProcessEnv);
  } else if (!extendEnv) env = {};

  const input = checkInput(o.input);
  // 0 and Infinity both mean no timeout
  const timeout = o.timeout === undefined ? 0 : parseDuration('timeout', o.timeout, { infinity: true });
  const signal = checkSignal('signal', o.signal);
  const killSignal =
    o.killSignal === undefined
      ? 'SIGTERM'
      : typeof o.killSignal === 'number'
        ? checkNumber('killSignal', o.killSignal, { min: 1, integer: true })
        : checkOneOf('killSignal', o.killSignal, SIGNALS);
  const killGrace = optionalDuration('killGrace', o.killGrace, DEFAULT_KILL_GRACE);
  const maxBuffer =
    o.maxBuffer === undefined
      ? DEFAULT_MAX_BUFFER
      : checkNumber('maxBuffer', o.maxBuffer, { min: 1, integer: true, allowInfinity: true });
  const encoding = o.encoding === undefined ? 'utf8' : checkOneOf('encoding', o.encoding, ENCODINGS);
  if (o.buffer !== undefined && o.buffer !== true && o.buffer !== false && o.buffer !== 'auto') {
    throw invalid('buffer', "true, false or 'auto'", o.buffer);
  }
  if (o.shell !== undefined && typeof o.shell !== 'boolean' && (typeof o.shell !== 'string' || o.shell === '')) {
    throw invalid('shell', 'a boolean or a shell path', o.shell);
  }

  // stdio: the array form first, then the per-slot options override it.
  let slots: StdioOption[];
  if (o.stdio === undefined) slots = [input !== undefined ? 'pipe' : defaults.stdin, 'pipe', 'pipe'];
  else if (Array.isArray(o.stdio)) {
    slots = o.stdio.map((v, i) => stdioValue(`stdio[${i}]`, v));
    while (slots.length < 3) slots.push('pipe');
  } else {
    const v = stdioValue('stdio', o.stdio);
    slots = [v, v, v];
  }
  if (o.stdin !== undefined) slots[0] = stdioValue('stdin', o.stdin);
  if (o.stdout !== undefined) slots[1] = stdioValue('stdout', o.stdout);
  if (o.stderr !== undefined) slots[2] = stdioValue('stderr', o.stderr);
  if (input !== undefined && slots[0] !== 'pipe') {
    throw invalid('stdin', "'pipe' when `input` is given", slots[0]);
  }

  const sinks: Normalized['sinks'] = [undefined, undefined, undefined];
  const stdio: NodeStdio[] = slots.map((s, i) => {
    if (s === process.stdin && i === 0) return 'inherit';
    if ((s === process.stdout && i === 1) || (s === process.stderr && i === 2)) return 'inherit';
    if (i < 3 && typeof s === 'object' && !hasFd(s)) {
      if (i === 0 && !(s instanceof Readable)) throw invalid('stdin', 'a readable stream', s);
      if (i > 0 && !(s instanceof Writable)) throw invalid(i === 1 ? 'stdout' : 'stderr', 'a writable stream', s);
      sinks[i] = s as never;
      return 'pipe';
    }
    return s;
  });

  const detached = optionalBoolean('detached', o.detached, false);
  const posix = process.platform !== 'win32';
  // setsid() takes the child off our controlling terminal; keep terminal programs in our group.
  const onTerminal = stdio.slice(0, 3).some((s, fd) => s === 'inherit' && isatty(fd));
  const killTree = posix && (detached || optionalBoolean('killTree', o.killTree, !onTerminal));

  for (const k of ['uid', 'gid'] as const) if (o[k] !== undefined) checkNumber(k, o[k], { integer: true });
  if (o.argv0 !== undefined && typeof o.argv0 !== 'string') throw invalid('argv0', 'a string', o.argv0);

  return {
    cwd,
    env,
    input: sinks[0] ?? input,
    timeout,
    signal,
    killSignal,
    killGrace,
    maxBuffer,
    encoding,
    stripFinalNewline: optionalBoolean('stripFinalNewline', o.stripFinalNewline, true),
    stdio,
    sinks,
    shell: o.shell ?? false,
    detached,
    killTree,
    reject: optionalBoolean('reject', o.reject, true),
    buffer: o.buffer ?? defaults.buffer,
    uid: o.uid,
    gid: o.gid,
    argv0: o.argv0,
    windowsHide: optionalBoolean('windowsHide', o.windowsHide, true),
  };
}
