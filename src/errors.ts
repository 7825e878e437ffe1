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
