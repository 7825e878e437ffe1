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
    super('ERR_POOL_CLOSE_TIMEOUT', `The pool did not finish its work within ${timeout} ms; remaining tasks were destroyed`);
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
