// Public option types of spindle/exec and their validation into one normalized shape.

import { constants } from 'node:os';
import { Readable, Stream, Writable } from 'node:stream';
import { isatty } from 'node:tty';
import { type Duration, optionalDuration, parseDuration } from '../util/duration.js';
import { buildEnv, checkEnv } from '../util/env.js';
import { knownOptions } from '../util/known.js';
import { toPath } from '../util/paths.js';
import { checkNumber, checkOneOf, checkSignal, invalid, optionalBoolean, stringArray } from '../util/validate.js';
import type { FileSlot } from './files.js';
import { localBins, prependPath } from './local.js';
import { inheritedNodeOptions } from './node.js';
import { type LogTarget, logTarget, type Verbose } from './verbose.js';

/** A file the program writes its stdout or stderr to: truncated first, or appended to with `append`. */
export interface FileTarget {
  file: string | URL;
  append?: boolean;
}

/** What one of the child's stdio slots is connected to (as in node:child_process, plus any Writable/Readable). */
export type StdinOption = 'pipe' | 'inherit' | 'ignore' | number | Stream;
/** An output slot may also be a file. */
export type StdioOption = StdinOption | FileTarget;

/** What `input` accepts: text, bytes, a stream/iterable that is piped to stdin, or a file the program reads. */
export type ExecInput =
  | string
  | Uint8Array
  | Readable
  | ReadableStream<Uint8Array>
  | AsyncIterable<string | Uint8Array>
  | { file: string | URL };

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
  stdio?: StdinOption | readonly StdioOption[];
  stdin?: StdinOption;
  /** Also `{ file, append? }`: the program writes to that file itself. */
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
  /**
   * Find programs in `node_modules/.bin` first, from `cwd` (or the directory given) up to the
   * root, then Node's own directory, then PATH. Default false.
   */
  preferLocal?: boolean | string | URL;
  /** Also keep stdout and stderr interleaved in arrival order, as `result.all`. Default false. */
  all?: boolean;
  /** `stdout`, `stderr` (and `all`) as arrays of lines instead of text. Default false. */
  lines?: boolean;
  /**
   * Log each command, its duration and how it ended: 'short' (or true) to stderr; 'full' adds
   * every output line; a function receives every entry. Never logs `env` or `input`. Default false.
   */
  verbose?: Verbose;
  /** Run `file` as a Node script with this process's Node and flags (`nodePath`, `nodeOptions`). */
  node?: boolean;
  /** The Node binary for `node: true` (default `process.execPath`). */
  nodePath?: string | URL;
  /** Node's flags for `node: true` (default: this process's `execArgv`, minus -e/--test/--inspect/--watch). */
  nodeOptions?: readonly string[];
  /** Open an IPC channel: `p.send()`, `p.messages()`, `result.messages`. The program must be a Node script. */
  ipc?: boolean;
  /** How IPC messages are encoded: 'advanced' (structured clone, default) or 'json'. */
  serialization?: 'advanced' | 'json';
}

/** A file slot stays a FileSlot until the program starts, when it becomes the opened descriptor. */
export type NodeStdio = 'pipe' | 'inherit' | 'ignore' | 'ipc' | number | Stream | FileSlot;

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
  /** Whether a stdio slot is a file (opened at the start). */
  files: boolean;
  all: boolean;
  lines: boolean;
  /** Where `verbose` entries go; undefined when nothing is logged. */
  log: LogTarget | undefined;
  /** `node: true`: the Node binary and the flags placed before the script. */
  node: { path: string; options: string[] } | undefined;
  ipc: boolean;
  serialization: 'advanced' | 'json';
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
  'preferLocal',
  'all',
  'lines',
  'verbose',
  'node',
  'nodePath',
  'nodeOptions',
  'ipc',
  'serialization',
]);
const FILE = new Set(['file']);
const FILE_TARGET = new Set(['file', 'append']);

/** A `{ file }` object (not a stream): the program reads or writes that file itself. */
function isFileObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  try {
    return !(value instanceof Stream) && Object.hasOwn(value, 'file');
  } catch {
    return false; // a Proxy whose traps throw: refused as an unknown value
  }
}

/** `{ file, append? }` for an output slot, as a FileSlot with an absolute path. */
function fileTarget(option: string, value: Record<string, unknown>): FileSlot {
  const o = knownOptions(option, value, FILE_TARGET)!;
  const append = optionalBoolean(`${option}.append`, o.append, false);
  return { option, path: toPath(`${option}.file`, o.file), flags: append ? 'a' : 'w' };
}

function stdioValue(option: string, value: unknown, slot: number): StdinOption | FileSlot {
  if (value === 'pipe' || value === 'inherit' || value === 'ignore') return value;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (slot === 1 || slot === 2) {
    if (isFileObject(value)) return fileTarget(option, value);
  } else if (slot === 0 && isFileObject(value)) {
    throw invalid(
      option,
      "'pipe', 'inherit', 'ignore', a file descriptor or a stream (a file goes in `input: { file }`)",
      value,
    );
  }
  let stream = false;
  try {
    stream = value instanceof Readable || value instanceof Writable; // Writable's instanceof reads a property
  } catch {
    // a Proxy whose traps throw is not a stream
  }
  if (stream) return value as Stream;
  const file = slot === 1 || slot === 2 ? ', { file }' : '';
  throw invalid(option, `'pipe', 'inherit', 'ignore', a file descriptor${file} or a stream`, value);
}

function hasFd(stream: Stream): boolean {
  return typeof (stream as { fd?: unknown }).fd === 'number';
}

function checkInput(value: unknown): ExecInput | FileSlot | undefined {
  if (value === undefined || typeof value === 'string' || value instanceof Uint8Array || value instanceof Readable) {
    return value as ExecInput | undefined;
  }
  if (isFileObject(value)) {
    const o = knownOptions('input', value, FILE)!;
    return { option: 'input', path: toPath('input.file', o.file), flags: 'r' };
  }
  const v = value as { getReader?: unknown; [Symbol.asyncIterator]?: unknown } | null;
  let stream = false;
  try {
    stream = !!v && (typeof v.getReader === 'function' || typeof v[Symbol.asyncIterator] === 'function');
  } catch {
    // a Proxy whose traps throw is not a stream
  }
  if (stream) return v as ExecInput;
  throw invalid('input', 'a string, a Buffer, a readable stream, an async iterable or { file }', value);
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
  let env = checked.env || !checked.extendEnv ? buildEnv(checked.env, checked.extendEnv) : undefined;
  if (o.preferLocal !== undefined && o.preferLocal !== false) {
    // A path given is relative to process.cwd(), like every path (docs/conventions.md, rule 6).
    const from = o.preferLocal === true ? (cwd ?? process.cwd()) : toPath('preferLocal', o.preferLocal);
    env = prependPath(env ?? process.env, localBins(from));
  }

  const given = checkInput(o.input);
  const inputFile = given !== undefined && isFileSlot(given) ? given : undefined;
  const input = inputFile ? undefined : (given as ExecInput | undefined);
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
  let slots: (StdinOption | FileSlot)[];
  if (o.stdio === undefined) slots = [given !== undefined ? 'pipe' : defaults.stdin, 'pipe', 'pipe'];
  else if (Array.isArray(o.stdio)) {
    let list: unknown[];
    try {
      list = [...o.stdio];
    } catch {
      throw invalid('stdio', 'an array whose items can be read', o.stdio);
    }
    slots = list.map((v, i) => stdioValue(`stdio[${i}]`, v, i));
    while (slots.length < 3) slots.push('pipe');
  } else {
    const v = stdioValue('stdio', o.stdio, -1);
    slots = [v, v, v];
  }
  if (o.stdin !== undefined) slots[0] = stdioValue('stdin', o.stdin, 0);
  if (o.stdout !== undefined) slots[1] = stdioValue('stdout', o.stdout, 1);
  if (o.stderr !== undefined) slots[2] = stdioValue('stderr', o.stderr, 2);
  if (given !== undefined && slots[0] !== 'pipe') {
    throw invalid('stdin', "'pipe' when `input` is given", slots[0]);
  }
  if (inputFile) slots[0] = inputFile;

  let files = false;
  const sinks: Normalized['sinks'] = [undefined, undefined, undefined];
  const stdio: NodeStdio[] = slots.map((s, i) => {
    if (isFileSlot(s)) {
      files = true;
      return s;
    }
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

  const lines = optionalBoolean('lines', o.lines, false);
  if (lines && encoding === 'buffer') throw invalid('lines', "false with `encoding: 'buffer'` (lines are text)", lines);
  const node = nodeOptions(o);
  const ipc = optionalBoolean('ipc', o.ipc, false);
  if (o.serialization !== undefined && !ipc)
    throw invalid('serialization', 'to be given only with `ipc: true`', o.serialization);
  const serialization =
    o.serialization === undefined
      ? 'advanced'
      : checkOneOf('serialization', o.serialization, ['advanced', 'json'] as const);
  if (ipc) stdio.push('ipc');
  const shell = o.shell ?? false;
  if (node && shell !== false)
    throw invalid('shell', 'false with `node: true` (the script runs in Node, not a shell)', shell);

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
    shell,
    detached,
    killTree,
    reject: optionalBoolean('reject', o.reject, true),
    buffer: o.buffer ?? defaults.buffer,
    uid: o.uid,
    gid: o.gid,
    argv0: o.argv0,
    windowsHide: optionalBoolean('windowsHide', o.windowsHide, true),
    files,
    all: optionalBoolean('all', o.all, false),
    lines,
    log: o.verbose === undefined ? undefined : checkVerbose(o.verbose),
    node,
    ipc,
    serialization,
  };
}

function isFileSlot(value: unknown): value is FileSlot {
  return (
    typeof value === 'object' && value !== null && (value as FileSlot).flags !== undefined && !(value instanceof Stream)
  );
}

function checkVerbose(value: unknown): LogTarget | undefined {
  if (typeof value === 'boolean' || value === 'short' || value === 'full' || typeof value === 'function') {
    return logTarget(value === true ? 'short' : (value as Verbose));
  }
  throw invalid('verbose', "true, false, 'short', 'full' or a function", value);
}

/** `node`, `nodePath`, `nodeOptions`: the Node binary and flags, or undefined without `node: true`. */
function nodeOptions(o: ExecOptions): Normalized['node'] {
  if (!optionalBoolean('node', o.node, false)) {
    if (o.nodePath !== undefined) throw invalid('nodePath', 'to be given only with `node: true`', o.nodePath);
    if (o.nodeOptions !== undefined) throw invalid('nodeOptions', 'to be given only with `node: true`', o.nodeOptions);
    return undefined;
  }
  const path = o.nodePath === undefined ? process.execPath : toPath('nodePath', o.nodePath);
  const options = o.nodeOptions === undefined ? inheritedNodeOptions() : stringArray('nodeOptions', o.nodeOptions);
  return { path, options };
}
