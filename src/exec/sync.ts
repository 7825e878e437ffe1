// runSync: run() for scripts that cannot await, with the same result, errors,
// timeout and process-group kill. node:child_process's spawnSync cannot give
// those: it kills only the child at a timeout (a grandchild holding the pipe then
// hangs it) and cannot bound how long output may drain. So the command runs with
// the ordinary run() on a helper thread (sync-helper.ts) while this thread blocks
// in Atomics.wait; the result comes back through a message port read with
// receiveMessageOnPort. The helper is started once and kept (unref'd), so only the
// first call pays for a thread's start-up.
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { type ExecError, ExecSpawnError } from '../errors/index.js';
import { rebuildError } from '../errors/remote.js';
import { invalid, readOptions } from '../util/validate.js';
import { formatCommand } from './command.js';
import { type ExecInput, type ExecOptions, type Normalized, normalize } from './options.js';
import type { ExecResult, Output } from './result.js';
import { type OutputOf, parseArgs } from './run.js';
import type { SyncRequest, SyncResponse } from './sync-helper.js';
import { type ExecLogEntry, nextLogId } from './verbose.js';

/** runSync's options: run()'s, except what needs this thread while it is blocked. */
export type SyncOptions = Omit<ExecOptions, 'signal' | 'ipc' | 'serialization' | 'input'> & {
  /** Written to stdin: text, bytes, or a file the program reads (streams need the event loop: use run). */
  input?: Extract<ExecInput, string | Uint8Array | { file: string | URL }>;
  /** Not with runSync: nothing can abort a call that blocks (use `timeout`). */
  signal?: never;
  /** Not with runSync: messages need a handle (use spawn). */
  ipc?: false;
};

/** How long a helper thread may take to load before runSync gives up on it. */
const START_LIMIT_MS = 30_000;

interface Helper {
  worker: Worker;
  port: MessagePort;
  /** [0]: 1 when an answer is waiting; [1]: 1 once the helper has loaded */
  flag: Int32Array;
}
let current: Helper | undefined;

function helper(): Helper {
  if (current) return current;
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(new URL('./sync-helper.js', import.meta.url), {
    workerData: { port: port2, flag },
    transferList: [port2],
    execArgv: [], // this process's flags (-e, --test, loaders) are not the helper's business
    name: 'spindle runSync',
  });
  const h: Helper = { worker, port: port1, flag };
  const forget = () => {
    if (current === h) current = undefined;
  };
  worker.on('error', forget);
  worker.on('exit', forget);
  worker.unref();
  port1.unref();
  current = h;
  return h;
}

const SLOT = ['stdin', 'stdout', 'stderr'];

/** Stdio as the helper gets it: fds and file paths, never a stream object (it cannot cross threads). */
function wireStdio(n: Normalized): unknown[] {
  const streams = 'with runSync, a stream with a file descriptor (others need the event loop: use { file } or run)';
  n.sinks.forEach((s, i) => {
    if (s) throw invalid(SLOT[i]!, streams, s);
  });
  return n.stdio.map((s, i) => {
    if (typeof s === 'object' && 'flags' in s) return i === 0 ? 'pipe' : { file: s.path, append: s.flags === 'a' };
    if (typeof s !== 'object') return s;
    const fd = (s as { fd?: unknown }).fd;
    if (typeof fd === 'number') return fd;
    throw invalid(SLOT[i] ?? `stdio[${i}]`, streams, s);
  });
}

/** The request for the helper: the options as checked here, made cloneable (the environment made explicit). */
function request(file: string, args: string[], o: Record<string, unknown>, n: Normalized): SyncRequest {
  if (o.signal !== undefined)
    throw invalid('signal', 'not given to runSync (nothing can abort a call that blocks; use `timeout`)', o.signal);
  if (n.ipc) throw invalid('ipc', 'false with runSync (messages need a handle: use spawn)', o.ipc);
  const stdio = wireStdio(n);
  if (n.input !== undefined && typeof n.input !== 'string' && !(n.input instanceof Uint8Array))
    throw invalid('input', 'with runSync, a string, bytes or { file } (streams need the event loop: use run)', n.input);
  const {
    signal,
    ipc,
    serialization,
    preferLocal,
    env,
    extendEnv,
    stdin,
    stdout,
    stderr,
    verbose,
    reject,
    buffer,
    node,
    nodePath,
    nodeOptions,
    cwd,
    input,
    ...rest
  } = o;
  const options: Record<string, unknown> = {
    ...rest,
    stdio,
    // The helper's process.env is a copy made when it started: send the environment as it is now.
    env: n.env ?? { ...process.env },
    extendEnv: false,
  };
  if (n.cwd !== undefined) options.cwd = n.cwd;
  if (n.input !== undefined) options.input = n.input;
  else if (typeof n.stdio[0] === 'object' && 'flags' in n.stdio[0]) options.input = { file: n.stdio[0].path };
  if (n.node) Object.assign(options, { node: true, nodePath: n.node.path, nodeOptions: n.node.options });
  const logFunction = typeof verbose === 'function';
  if (verbose !== undefined && !logFunction) options.verbose = verbose;
  return { file, args, options: options as ExecOptions, logId: n.log ? nextLogId() : 0, logFunction };
}

/** Blocks until the helper answers. */
function call(req: SyncRequest): SyncResponse | { notStarted: string } {
  const h = helper();
  Atomics.store(h.flag, 0, 0);
  h.port.postMessage(req);
  const t0 = Date.now();
  while (Atomics.load(h.flag, 0) === 0) {
    Atomics.wait(h.flag, 0, 0, 1000);
    if (Atomics.load(h.flag, 1) === 0 && Atomics.load(h.flag, 0) === 0 && Date.now() - t0 > START_LIMIT_MS) {
      void h.worker.terminate();
      current = undefined;
      return { notStarted: `runSync's helper thread did not start within ${START_LIMIT_MS} ms` };
    }
  }
  const m = receiveMessageOnPort(h.port);
  if (!m) return { notStarted: "runSync's helper thread answered without a result" };
  return m.message as SyncResponse;
}

/** A Uint8Array that crossed the thread (structured clone drops the Buffer class) as a Buffer again. */
function asBuffer(v: unknown): unknown {
  return v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v;
}

function restoreBuffers(target: Record<string, unknown>): void {
  for (const k of ['stdout', 'stderr', 'all']) if (k in target) target[k] = asBuffer(target[k]);
}

/**
 * Runs a program to completion and returns its result, blocking this thread: the
 * same result, errors, timeout and process-group kill as `run()`. For scripts;
 * a server should use `run()`. Throws the coded error (or returns it in the
 * result with `reject: false`).
 */
export function runSync<T extends SyncOptions = SyncOptions>(
  file: string | URL,
  args?: readonly string[],
  options?: T,
): ExecResult<OutputOf<T>>;
export function runSync<T extends SyncOptions = SyncOptions>(file: string | URL, options?: T): ExecResult<OutputOf<T>>;
export function runSync(file: string | URL, args?: unknown, options?: unknown): ExecResult<Output> {
  const [f, a, given] = parseArgs(file, args, options);
  const o = readOptions('options', given) ?? {};
  const n = normalize(o as ExecOptions, { stdin: 'ignore', buffer: true });
  const req = request(f, a, o, n);
  const t0 = performance.now();
  const res = call(req);
  if ('notStarted' in res) return notStarted(f, a, n, res.notStarted, performance.now() - t0);
  if (res.thrown !== undefined) throw rebuildError(res.thrown);
  const raw = res.result!;
  const result = raw as ExecResult<Output> & Record<string, unknown>;
  restoreBuffers(result);
  if (raw.error !== undefined) {
    const error = rebuildError(raw.error) as ExecError & Record<string, unknown>;
    restoreBuffers(error);
    result.error = error;
  }
  if (res.entries && n.log) {
    for (const e of res.entries) n.log.write((e.type === 'end' ? { ...e, result } : e) as ExecLogEntry);
  }
  if (result.failed && n.reject) throw result.error;
  return result;
}

/** The helper thread could not run the command: a failed result, as for a program that could not start. */
function notStarted(file: string, args: string[], n: Normalized, why: string, ms: number): ExecResult<Output> {
  const empty = n.lines ? [] : n.encoding === 'buffer' ? Buffer.alloc(0) : '';
  const details = {
    command: formatCommand(file, args),
    file,
    args,
    stdout: empty,
    stderr: empty,
    exitCode: null,
    signal: null,
    durationMs: ms,
    pid: undefined,
    timedOut: false,
    isCanceled: false,
    isMaxBuffer: false,
    forceKilled: false,
  };
  const error = new ExecSpawnError(`Command could not be started: ${details.command} (${why})`, details);
  if (n.reject) throw error;
  return { ...details, failed: true, error };
}
