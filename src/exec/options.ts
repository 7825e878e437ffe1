// Public option types of spindle/exec and their validation into one normalized shape.

import { constants } from 'node:os';
import { Readable, type Stream, Writable } from 'node:stream';
import { isatty } from 'node:tty';
import { type Duration, optionalDuration, parseDuration } from '../util/duration.js';
import { buildEnv, checkEnv } from '../util/env.js';
import { knownOptions } from '../util/known.js';
import { toPath } from '../util/paths.js';
import { checkNumber, checkOneOf, checkSignal, invalid, optionalBoolean } from '../util/validate.js';

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
  /** Kill the command (and its process group) after this long: ms or '30s'; `0` or `Infinity` = never (default). */
  timeout?: Duration;
  /** Aborting kills the command (or prevents it from starting). */
  signal?: AbortSignal;
  /** Signal sent for timeout, abort, maxBuffer and `kill()` (default 'SIGTERM'). */
  killSignal?: NodeJS.Signals | number;
  /** How long to wait after `killSignal` before SIGKILL: ms or '5s' (default 3000; 0 = SIGKILL at once). */
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
  /**
   * Run through a shell: true = /bin/sh (cmd.exe on Windows), or a shell path. Off by default.
   * run()/spawn() join `file` and `args` with spaces for it (quote them yourself); `$` quotes
   * every value for a sh-compatible shell.
   */
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
const SIGNAL_NUMBERS = new Set<number>(Object.values(constants.signals));
/** Node checks uid and gid as 32-bit signed integers. */
const MAX_ID = 2 ** 31 - 1;
const KNOWN = new Set([
  'cwd',
  'env',
  'extendEnv',
  'input',
  'timeout',
  'signal',
  'killSignal',
  'killGrace',
  'maxBuffer',
  'encoding',
  'stripFinalNewline',
  'stdio',
  'stdin',
  'stdout',
  'stderr',
  'shell',
  'detached',
  'killTree',
  'reject',
  'buffer',
  'uid',
  'gid',
  'argv0',
  'windowsHide',
]);

function stdioValue(option: string, value: unknown): StdioOption {
  if (value === 'pipe' || value === 'inherit' || value === 'ignore') return value;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  let stream = false;
  try {
    stream = value instanceof Readable || value instanceof Writable; // Writable's instanceof reads a property
  } catch {
    // a Proxy whose traps throw is not a stream
  }
  if (stream) return value as Stream;
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
  let stream = false;
  try {
    stream = !!v && (typeof v.getReader === 'function' || typeof v[Symbol.asyncIterator] === 'function');
  } catch {
    // a Proxy whose traps throw is not a stream
  }
  if (stream) return v as ExecInput;
  throw invalid('input', 'a string, a Buffer, a readable stream or an async iterable', value);
}

/** A signal name ('SIGTERM') or number (15) this platform knows, else throws naming `option`. */
export function checkKillSignal(option: string, value: unknown): NodeJS.Signals | number {
  if (typeof value === 'number' && SIGNAL_NUMBERS.has(value)) return value;
  if (typeof value === 'string' && (SIGNALS as string[]).includes(value)) return value as NodeJS.Signals;
  throw invalid(option, "a signal name such as 'SIGTERM', or its number", value);
}

/** A string with no NUL byte (a process cannot receive one), else throws naming `option`. */
function checkText(option: string, value: unknown, expected: string): string {
  if (typeof value !== 'string' || value === '' || value.includes('\0')) throw invalid(option, expected, value);
  return value;
}

/** Validates user options; `defaults` differ between run() (stdin ignored) and spawn() (stdin piped). */
export function normalize(
  options: ExecOptions | undefined,
  defaults: { stdin: 'pipe' | 'ignore'; buffer: boolean | 'auto' },
): Normalized {
  const o = (knownOptions('options', options, KNOWN) ?? {}) as ExecOptions;
  const cwd = o.cwd === undefined ? undefined : toPath('cwd', o.cwd);
  const checked = checkEnv(o.env, o.extendEnv);
  // Without `env` and with extendEnv, the child inherits process.env: nothing to build.
  const env = checked.env || !checked.extendEnv ? buildEnv(checked.env, checked.extendEnv) : undefined;

  const input = checkInput(o.input);
  // 0 and Infinity both mean no timeout
  const timeout = o.timeout === undefined ? 0 : parseDuration('timeout', o.timeout, { infinity: true });
  const signal = checkSignal('signal', o.signal);
  const killSignal = o.killSignal === undefined ? 'SIGTERM' : checkKillSignal('killSignal', o.killSignal);
  const killGrace = optionalDuration('killGrace', o.killGrace, DEFAULT_KILL_GRACE);
  const maxBuffer =
    o.maxBuffer === undefined
      ? DEFAULT_MAX_BUFFER
      : checkNumber('maxBuffer', o.maxBuffer, { min: 1, integer: true, allowInfinity: true });
  const encoding = o.encoding === undefined ? 'utf8' : checkOneOf('encoding', o.encoding, ENCODINGS);
  if (o.buffer !== undefined && o.buffer !== true && o.buffer !== false && o.buffer !== 'auto') {
    throw invalid('buffer', "true, false or 'auto'", o.buffer);
  }
  if (o.shell !== undefined && typeof o.shell !== 'boolean') checkText('shell', o.shell, 'a boolean or a shell path');

  // stdio: the array form first, then the per-slot options override it.
  let slots: StdioOption[];
  if (o.stdio === undefined) slots = [input !== undefined ? 'pipe' : defaults.stdin, 'pipe', 'pipe'];
  else if (Array.isArray(o.stdio)) {
    let list: unknown[];
    try {
      list = [...o.stdio];
    } catch {
      throw invalid('stdio', 'an array whose items can be read', o.stdio);
    }
    slots = list.map((v, i) => stdioValue(`stdio[${i}]`, v));
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

  for (const k of ['uid', 'gid'] as const) {
    if (o[k] !== undefined && (checkNumber(k, o[k], { integer: true }) as number) > MAX_ID)
      throw invalid(k, `an integer from 0 to ${MAX_ID}`, o[k]);
  }
  if (o.argv0 !== undefined) checkText('argv0', o.argv0, 'a non-empty string without NUL bytes');

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
