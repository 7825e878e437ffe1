// Every error spindle throws or rejects with. Each class carries a stable
// `code`; match on `err.code`, never on the message. docs/errors.md has one row
// per code.

/** Base class of every spindle error: a stable `code` plus the usual `cause`. */
export class SpindleError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
  override get name(): string {
    return this.constructor.name;
  }
}

// ---------------------------------------------------------------- input

/** An option or argument has the wrong type or is out of range. */
export class InvalidOptionError extends SpindleError {
  /** The option's name, e.g. `maxWorkers` or `options.timeout`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super('ERR_INVALID_OPTION', message);
    this.option = option;
  }
}

// ---------------------------------------------------------------- pool

/** `run()` was called after `close()` or `destroy()`. */
export class PoolClosedError extends SpindleError {
  constructor(message = 'The pool is closed; no new tasks are accepted') {
    super('ERR_POOL_CLOSED', message);
  }
}

/** A task was still queued or running when the pool was destroyed. */
export class PoolDestroyedError extends SpindleError {
  constructor(message = 'The pool was destroyed before the task finished') {
    super('ERR_POOL_DESTROYED', message);
  }
}

/** `close({ timeout })` ran out of time; the remaining work was destroyed. */
export class CloseTimeoutError extends SpindleError {
  constructor(timeout: number) {
    super(
      'ERR_POOL_CLOSE_TIMEOUT',
      `The pool did not finish its work within ${timeout} ms; remaining tasks were destroyed`,
    );
  }
}

/** The queue already holds `maxQueue` tasks. */
export class QueueFullError extends SpindleError {
  readonly maxQueue: number;
  constructor(maxQueue: number) {
    super('ERR_QUEUE_FULL', `The task queue is full (maxQueue: ${maxQueue}); wait for the pool's 'drain' event`);
    this.maxQueue = maxQueue;
  }
}

/** The task was aborted through its AbortSignal; the reason is the `cause`. */
export class TaskAbortedError extends SpindleError {
  constructor(task: string, reason: unknown) {
    super('ERR_TASK_ABORTED', `Task '${task}' was aborted`, { cause: reason });
  }
}

/** The task ran longer than its timeout (counted from when it started running). */
export class TaskTimeoutError extends SpindleError {
  readonly timeout: number;
  constructor(task: string, timeout: number) {
    super('ERR_TASK_TIMEOUT', `Task '${task}' did not finish within ${timeout} ms of starting`);
    this.timeout = timeout;
  }
}

/** The worker module has no exported function of that name. */
export class TaskNotFoundError extends SpindleError {
  readonly task: string;
  constructor(task: string, available: readonly string[]) {
    const list = available.length ? available.map((n) => `'${n}'`).join(', ') : 'none';
    super('ERR_TASK_NOT_FOUND', `The worker module exports no function '${task}'; available tasks: ${list}`);
    this.task = task;
  }
}

/** The task's arguments (or transfer list) cannot be structured-cloned. */
export class TaskNotCloneableError extends SpindleError {
  constructor(task: string, cause: unknown) {
    super(
      'ERR_TASK_NOT_CLONEABLE',
      `The arguments of task '${task}' cannot be sent to a worker: ${(cause as Error)?.message ?? cause}. ` +
        'Functions, symbols and host objects cannot be cloned; class instances arrive as plain objects.',
      { cause },
    );
  }
}

/** The task's result cannot be structured-cloned back to the caller. */
export class ResultNotCloneableError extends SpindleError {
  constructor(task: string, cause: unknown) {
    super(
      'ERR_RESULT_NOT_CLONEABLE',
      `The result of task '${task}' cannot be sent back from the worker: ${(cause as Error)?.message ?? cause}`,
      { cause },
    );
  }
}

/** The task threw (or rejected with) something that is not an Error; `value` holds it. */
export class NonErrorThrownError extends SpindleError {
  readonly value: unknown;
  constructor(task: string, value: unknown, text: string) {
    super('ERR_TASK_NON_ERROR', `Task '${task}' threw a non-Error value: ${text}`);
    this.value = value;
  }
}

/** Why a worker stopped: what `WorkerCrashedError.reason` holds. */
export type CrashReason = 'exit' | 'error' | 'oom' | 'signal' | 'stuck' | 'protocol';

/** The worker running the task died (exit, uncaught error, out of memory, killed). */
export class WorkerCrashedError extends SpindleError {
  readonly workerId: number;
  readonly reason: CrashReason;
  readonly exitCode: number | null;
  readonly signal: string | null;
  constructor(
    info: { workerId: number; reason: CrashReason; exitCode: number | null; signal?: string | null; detail: string },
    options?: ErrorOptions,
  ) {
    super('ERR_WORKER_CRASHED', `Worker ${info.workerId} ${info.detail}`, options);
    this.workerId = info.workerId;
    this.reason = info.reason;
    this.exitCode = info.exitCode;
    this.signal = info.signal ?? null;
  }
}

/** The worker module could not be loaded (syntax error, throws at import, bad path). */
export class WorkerLoadError extends SpindleError {
  readonly url: string;
  constructor(url: string, cause: unknown) {
    super('ERR_WORKER_LOAD', `The worker module ${url} failed to load: ${(cause as Error)?.message ?? cause}`, {
      cause,
    });
    this.url = url;
  }
}

/** The worker module file does not exist. */
export class WorkerNotFoundError extends SpindleError {
  readonly path: string;
  constructor(path: string) {
    super('ERR_WORKER_NOT_FOUND', `The worker module ${path} does not exist`);
    this.path = path;
  }
}

// ---------------------------------------------------------------- exec

/** What `spindle/exec` knows about a finished (or failed) command; every exec error carries it. */
export interface ExecErrorDetails {
  /** The command as a shell-quoted string, for messages and logs (never run through a shell). */
  command: string;
  file: string;
  args: readonly string[];
  /** Buffered stdout (a prefix when `isMaxBuffer`); `''` when it was streamed elsewhere. */
  stdout: string | Buffer;
  stderr: string | Buffer;
  /** undefined when the program never started or was ended by a signal. */
  exitCode: number | undefined;
  signal: NodeJS.Signals | undefined;
  durationMs: number;
  pid: number | undefined;
  timedOut: boolean;
  isCanceled: boolean;
  isMaxBuffer: boolean;
  /** SIGKILL had to follow `killSignal` because the process outlived `killGrace`. */
  forceKilled: boolean;
}

/**
 * Base class of every failure of a command run by `spindle/exec`; the fields describe
 * the run. Each subclass only names its code.
 */
export class ExecError extends SpindleError implements ExecErrorDetails {
  static readonly CODE: string = 'ERR_EXEC';
  readonly failed = true;
  declare command: string;
  declare file: string;
  declare args: readonly string[];
  declare stdout: string | Buffer;
  declare stderr: string | Buffer;
  declare exitCode: number | undefined;
  declare signal: NodeJS.Signals | undefined;
  declare durationMs: number;
  declare pid: number | undefined;
  declare timedOut: boolean;
  declare isCanceled: boolean;
  declare isMaxBuffer: boolean;
  declare forceKilled: boolean;
  /** The upstream command's result when this command was fed through `a.pipe(b)`. */
  pipedFrom?: unknown;
  constructor(message: string, details: ExecErrorDetails, options?: ErrorOptions) {
    super((new.target as typeof ExecError).CODE, message, options);
    Object.assign(this, details);
  }
}

/** The program does not exist on PATH (or at the given path). */
export class ExecNotFoundError extends ExecError {
  static override readonly CODE = 'ERR_EXEC_NOT_FOUND';
}

/** The program could not be started for another reason (permission denied, missing `cwd`, too many files). */
export class ExecSpawnError extends ExecError {
  static override readonly CODE = 'ERR_EXEC_SPAWN';
}

/** The program exited with a non-zero code. */
export class ExecExitError extends ExecError {
  static override readonly CODE = 'ERR_EXEC_EXIT';
}

/** The program was ended by a signal that spindle did not send for a timeout, abort or maxBuffer. */
export class ExecSignalError extends ExecError {
  static override readonly CODE = 'ERR_EXEC_SIGNAL';
}

/** The program ran longer than `timeout` and was killed (with its process group). */
export class ExecTimeoutError extends ExecError {
  static override readonly CODE = 'ERR_EXEC_TIMEOUT';
}

/** The `signal` option aborted the command, before or after it started. */
export class ExecAbortError extends ExecError {
  static override readonly CODE = 'ERR_EXEC_ABORTED';
}

/** stdout or stderr grew past `maxBuffer`; the program was killed and the kept prefix is on the error. */
export class ExecMaxBufferError extends ExecError {
  static override readonly CODE = 'ERR_EXEC_MAX_BUFFER';
}

/** The `input` stream or a stream given as `stdout`/`stderr` failed; the program was killed. */
export class ExecStreamError extends ExecError {
  static override readonly CODE = 'ERR_EXEC_STREAM';
}

// ---------------------------------------------------------------- cluster

/** `supervise()` was given a script that does not exist. */
export class ClusterScriptNotFoundError extends SpindleError {
  readonly script: string;
  constructor(script: string) {
    super('ERR_CLUSTER_SCRIPT_NOT_FOUND', `Cannot start workers: the script ${script} does not exist`);
    this.script = script;
  }
}

/** A TypeScript entry point needs tsx, and it could not be found. */
export class ClusterLoaderError extends SpindleError {
  constructor(script: string) {
    super(
      'ERR_CLUSTER_TS_LOADER',
      `Cannot run the TypeScript entry ${script}: install tsx next to it (npm i -D tsx), or compile it to JavaScript first`,
    );
  }
}

/** Why a worker never became ready: it exited first, missed the ready timeout, failed the HTTP probe, or could not listen. */
export type WorkerNotReadyReason = 'exit' | 'timeout' | 'probe' | 'listen';

/** A worker did not become ready (it exited, timed out or failed its probe). */
export class WorkerNotReadyError extends SpindleError {
  readonly workerId: number;
  readonly reason: WorkerNotReadyReason;
  readonly exitCode: number | null;
  readonly signal: string | null;
  constructor(
    workerId: number,
    reason: WorkerNotReadyReason,
    message: string,
    details: { exitCode?: number | null; signal?: string | null; cause?: unknown } = {},
  ) {
    super('ERR_CLUSTER_WORKER_NOT_READY', message, { cause: details.cause });
    this.workerId = workerId;
    this.reason = reason;
    this.exitCode = details.exitCode ?? null;
    this.signal = details.signal ?? null;
  }
}

/** The initial workers did not all become ready, so `supervise()` stopped them and rejected. */
export class ClusterStartError extends SpindleError {
  constructor(cause: WorkerNotReadyError) {
    super('ERR_CLUSTER_START_FAILED', `Cluster failed to start: ${cause.message}`, { cause });
  }
}

/** A rolling reload stopped because a new worker did not become ready; the old worker keeps serving. */
export class ClusterReloadError extends SpindleError {
  readonly workerId: number;
  constructor(cause: WorkerNotReadyError) {
    super(
      'ERR_CLUSTER_RELOAD_FAILED',
      `Reload refused: ${cause.message}; the old worker ${cause.workerId} keeps serving`,
      { cause },
    );
    this.workerId = cause.workerId;
  }
}

/** A worker slot kept crashing, so the supervisor stopped restarting it. */
export class CrashLoopError extends SpindleError {
  readonly workerId: number;
  readonly crashes: number;
  constructor(workerId: number, crashes: number, last: string) {
    super(
      'ERR_CLUSTER_CRASH_LOOP',
      `Worker ${workerId} crashed ${crashes} times in a row (last: ${last}); it will not be restarted until the next reload`,
    );
    this.workerId = workerId;
    this.crashes = crashes;
  }
}

/** The supervisor is stopping or stopped, so it cannot do what was asked. */
export class ClusterStoppedError extends SpindleError {
  constructor(what: string) {
    super('ERR_CLUSTER_STOPPED', `Cannot ${what}: the supervisor is stopping or stopped`);
  }
}

/** The other side of a cluster message went away (exited, disconnected) or does not exist. */
export class ClusterPeerGoneError extends SpindleError {
  constructor(message: string) {
    super('ERR_CLUSTER_PEER_GONE', message);
  }
}

/** A cluster request got no reply within its timeout. */
export class ClusterRequestTimeoutError extends SpindleError {
  readonly topic: string;
  constructor(topic: string, timeout: number) {
    super('ERR_CLUSTER_REQUEST_TIMEOUT', `Request '${topic}' got no reply within ${timeout} ms`);
    this.topic = topic;
  }
}

/** The handler of a cluster request threw or rejected, or no handler exists for the topic; `remote` has its error. */
export class ClusterHandlerError extends SpindleError {
  readonly topic: string;
  readonly remote: { name: string; message: string; code?: string; stack?: string };
  constructor(topic: string, remote: { name: string; message: string; code?: string; stack?: string }) {
    super('ERR_CLUSTER_HANDLER_FAILED', `Handler for '${topic}' failed: ${remote.name}: ${remote.message}`);
    this.topic = topic;
    this.remote = remote;
  }
}

/** An API meant for a supervised worker process was used outside one (or the reverse). */
export class ClusterContextError extends SpindleError {
  constructor(message: string) {
    super('ERR_CLUSTER_CONTEXT', message);
  }
}

// ---------------------------------------------------------------- cli

/** The `spindle` command line was wrong: unknown command or flag, bad value. Exit code 2. */
export class CliUsageError extends SpindleError {
  constructor(message: string) {
    super('ERR_CLI_USAGE', message);
  }
}

// ---------------------------------------------------------------- shared
// spindle/shared: Mutex, Semaphore, Barrier, Latch, Condition, Channel.

/** A waiting call of a shared-memory primitive did not finish within its `timeout`. */
export class SharedTimeoutError extends SpindleError {
  /** The timeout that elapsed, in milliseconds. */
  readonly timeout: number;
  constructor(operation: string, timeout: number) {
    super('ERR_SHARED_TIMEOUT', `${operation} timed out after ${timeout} ms`);
    this.timeout = timeout;
  }
}

/** A waiting call was cancelled through its `signal`; the signal's reason is the `cause`. */
export class SharedAbortError extends SpindleError {
  constructor(operation: string, reason: unknown) {
    super('ERR_SHARED_ABORTED', `${operation} was aborted`, { cause: reason });
  }
}

/** `from()`/`reviveShared()` got a value that is not the expected spindle primitive. */
export class SharedHandleError extends SpindleError {
  /** The kind that was expected, e.g. `Mutex`. */
  readonly expected: string;
  /** The `__spindleShared` tag found on the value, if any. */
  readonly actual: string | undefined;
  constructor(expected: string, actual: string | undefined, message: string) {
    super('ERR_SHARED_INVALID_HANDLE', message);
    this.expected = expected;
    this.actual = actual;
  }
}

/** `unlock()` of a mutex that is not locked, or `Condition.wait` with an unlocked mutex. */
export class MutexNotLockedError extends SpindleError {
  constructor(message = 'The mutex is not locked') {
    super('ERR_SHARED_NOT_LOCKED', message);
  }
}

/** `Semaphore.release()` would raise the permits above the semaphore's `max`. */
export class SemaphoreOverflowError extends SpindleError {
  constructor(max: number, attempted: number) {
    super(
      'ERR_SHARED_SEMAPHORE_OVERFLOW',
      `Releasing would raise the semaphore to ${attempted} permits, above its max of ${max}`,
    );
  }
}

/** `Latch.countDown()` would take the count below zero. */
export class LatchUnderflowError extends SpindleError {
  constructor(count: number, by: number) {
    super('ERR_SHARED_LATCH_UNDERFLOW', `Cannot count the latch down by ${by}: its count is ${count}`);
  }
}

/** A blocking (`*Sync`) call had to wait on a thread where `Atomics.wait` is not allowed. */
export class BlockingNotAllowedError extends SpindleError {
  constructor(operation: string, cause: unknown) {
    super(
      'ERR_SHARED_BLOCKING_NOT_ALLOWED',
      `${operation} must wait, but this thread may not block (Atomics.wait is not allowed here); use the async method`,
      { cause },
    );
  }
}

/** Sending on a closed channel, or receiving from a closed channel that is drained. */
export class ChannelClosedError extends SpindleError {
  constructor(message = 'The channel is closed') {
    super('ERR_SHARED_CHANNEL_CLOSED', message);
  }
}

/** A value's encoded record is larger than the channel's `maxRecordSize`. */
export class RecordTooLargeError extends SpindleError {
  /** Encoded size of the rejected value in bytes. */
  readonly size: number;
  /** The channel's `maxRecordSize`. */
  readonly limit: number;
  constructor(size: number, limit: number) {
    super(
      'ERR_SHARED_RECORD_TOO_LARGE',
      `The value encodes to ${size} bytes, above the channel's maxRecordSize of ${limit}`,
    );
    this.size = size;
    this.limit = limit;
  }
}

/** A value cannot be sent through a channel (a function, a symbol, shared memory, ...). */
export class UnsupportedValueError extends SpindleError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_SHARED_UNSUPPORTED_VALUE', message, options);
  }
}

// ---------------------------------------------------------------- pool: process runtime

/**
 * A worker program broke the line protocol (docs/protocol.md): a line that is
 * not a JSON message, an unknown message type, a result for no task. The pool
 * stops that worker; its running tasks reject with ERR_WORKER_CRASHED (reason
 * 'protocol') with this error as `cause`, or with ERR_WORKER_LOAD before it was ready.
 */
export class WorkerProtocolError extends SpindleError {
  readonly workerId: number;
  /** the offending line, cut to 200 characters (undefined when no line is to blame) */
  readonly line: string | undefined;
  constructor(workerId: number, problem: string, line?: string) {
    const shown = line === undefined ? undefined : line.length > 200 ? `${line.slice(0, 197)}...` : line;
    super(
      'ERR_WORKER_PROTOCOL',
      `Worker ${workerId} broke the line protocol: ${problem}${shown === undefined ? '' : `: ${JSON.stringify(shown)}`}`,
    );
    this.workerId = workerId;
    this.line = shown;
  }
}

// ---------------------------------------------------------------- queue
// spindle/queue: JobQueue, Job, work().

/**
 * A job failed for good: every attempt failed (or it stalled more than
 * `maxStalledCount` times). The message says how many attempts and why the
 * last one failed; `cause` is the last attempt's error (a rebuilt Error for
 * the Redis store, where only its message and name travel).
 */
export class JobFailedError extends SpindleError {
  readonly jobId: string;
  readonly task: string;
  readonly attemptsMade: number;
  constructor(jobId: string, task: string, attemptsMade: number, why: string, options?: ErrorOptions) {
    super(
      'ERR_JOB_FAILED',
      `Job '${jobId}' (task '${task}') failed after ${attemptsMade} attempt${attemptsMade === 1 ? '' : 's'}: ${why}`,
      options,
    );
    this.jobId = jobId;
    this.task = task;
    this.attemptsMade = attemptsMade;
  }
}

/** A job's arguments would not survive a JSON round trip (jobs are stored as JSON in Redis). */
export class JobArgsNotSerializableError extends SpindleError {
  /** where the offending value sits, e.g. `args[1].when` */
  readonly path: string;
  constructor(path: string, problem: string) {
    super(
      'ERR_JOB_NOT_SERIALIZABLE',
      `Job argument \`${path}\` ${problem}; job arguments must survive JSON.stringify/JSON.parse unchanged ` +
        '(plain objects, arrays, strings, finite numbers, booleans, null)',
    );
    this.path = path;
  }
}

/** `add()` after `close()`, or a job still waiting for its result when its queue closed. */
export class JobQueueClosedError extends SpindleError {
  constructor(message = 'The job queue is closed; no new jobs are accepted') {
    super('ERR_QUEUE_CLOSED', message);
  }
}

/** The Redis store needs the optional peer dependency `bullmq`, which is not installed. */
export class QueueDependencyError extends SpindleError {
  constructor(cause: unknown) {
    super(
      'ERR_QUEUE_BULLMQ_MISSING',
      "The Redis store of spindle/queue needs the package 'bullmq' (an optional peer dependency): run `npm install bullmq`",
      { cause },
    );
  }
}

/** Redis did not answer: `add()` gave up after `timeout` ms, or a connection error (emitted as 'error'). */
export class QueueUnreachableError extends SpindleError {
  readonly url: string;
  constructor(url: string, what: string, options?: ErrorOptions) {
    super(
      'ERR_QUEUE_UNREACHABLE',
      `Redis at ${url} is unreachable: ${what}; spindle keeps reconnecting with backoff`,
      options,
    );
    this.url = url;
  }
}
