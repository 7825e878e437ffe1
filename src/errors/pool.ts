// Errors of the Pool (spindle) and of the workers it runs: codes ERR_POOL_*,
// ERR_TASK_*, ERR_WORKER_*.
import { named, SpindleError } from './base.js';

/** `run()` was called after `close()` or `destroy()`. */
export class PoolClosedError extends SpindleError<'ERR_POOL_CLOSED'> {
  declare readonly name: 'PoolClosedError';
  constructor(message = 'The pool is closed; no new tasks are accepted') {
    super('ERR_POOL_CLOSED', message);
  }
  static {
    named(PoolClosedError, 'PoolClosedError');
  }
}

/** A task was still queued or running when the pool was destroyed. */
export class PoolDestroyedError extends SpindleError<'ERR_POOL_DESTROYED'> {
  declare readonly name: 'PoolDestroyedError';
  constructor(message = 'The pool was destroyed before the task finished') {
    super('ERR_POOL_DESTROYED', message);
  }
  static {
    named(PoolDestroyedError, 'PoolDestroyedError');
  }
}

/** The pool's task queue already holds `maxQueue` tasks. */
export class PoolQueueFullError extends SpindleError<'ERR_POOL_QUEUE_FULL'> {
  declare readonly name: 'PoolQueueFullError';
  readonly maxQueue: number;
  constructor(maxQueue: number) {
    super('ERR_POOL_QUEUE_FULL', `The task queue is full (maxQueue: ${maxQueue}); wait for the pool's 'drain' event`);
    this.maxQueue = maxQueue;
  }
  static {
    named(PoolQueueFullError, 'PoolQueueFullError');
  }
}

/** The task was aborted through its AbortSignal; the reason is the `cause`. */
export class TaskAbortedError extends SpindleError<'ERR_TASK_ABORTED'> {
  declare readonly name: 'TaskAbortedError';
  constructor(task: string, reason: unknown) {
    super('ERR_TASK_ABORTED', `Task '${task}' was aborted`, { cause: reason });
  }
  static {
    named(TaskAbortedError, 'TaskAbortedError');
  }
}

/** The task ran longer than its timeout (counted from when it started running). */
export class TaskTimeoutError extends SpindleError<'ERR_TASK_TIMEOUT'> {
  declare readonly name: 'TaskTimeoutError';
  readonly timeout: number;
  constructor(task: string, timeout: number) {
    super('ERR_TASK_TIMEOUT', `Task '${task}' did not finish within ${timeout} ms of starting`);
    this.timeout = timeout;
  }
  static {
    named(TaskTimeoutError, 'TaskTimeoutError');
  }
}

/** The worker module has no exported function of that name. */
export class TaskNotFoundError extends SpindleError<'ERR_TASK_NOT_FOUND'> {
  declare readonly name: 'TaskNotFoundError';
  readonly task: string;
  constructor(task: string, available: readonly string[]) {
    const list = available.length ? available.map((n) => `'${n}'`).join(', ') : 'none';
    super('ERR_TASK_NOT_FOUND', `The worker module exports no function '${task}'; available tasks: ${list}`);
    this.task = task;
  }
  static {
    named(TaskNotFoundError, 'TaskNotFoundError');
  }
}

/** The task's arguments (or transfer list) cannot be structured-cloned. */
export class TaskNotCloneableError extends SpindleError<'ERR_TASK_NOT_CLONEABLE'> {
  declare readonly name: 'TaskNotCloneableError';
  constructor(task: string, cause: unknown) {
    super(
      'ERR_TASK_NOT_CLONEABLE',
      `The arguments of task '${task}' cannot be sent to a worker: ${(cause as Error)?.message ?? cause}. ` +
        'Functions, symbols and host objects cannot be cloned; class instances arrive as plain objects.',
      { cause },
    );
  }
  static {
    named(TaskNotCloneableError, 'TaskNotCloneableError');
  }
}

/** The task's result cannot be structured-cloned back to the caller. */
export class TaskResultNotCloneableError extends SpindleError<'ERR_TASK_RESULT_NOT_CLONEABLE'> {
  declare readonly name: 'TaskResultNotCloneableError';
  constructor(task: string, cause: unknown) {
    super(
      'ERR_TASK_RESULT_NOT_CLONEABLE',
      `The result of task '${task}' cannot be sent back from the worker: ${(cause as Error)?.message ?? cause}`,
      { cause },
    );
  }
  static {
    named(TaskResultNotCloneableError, 'TaskResultNotCloneableError');
  }
}

/** The task threw (or rejected with) something that is not an Error; `value` holds it. */
export class TaskNonErrorThrownError extends SpindleError<'ERR_TASK_NON_ERROR_THROWN'> {
  declare readonly name: 'TaskNonErrorThrownError';
  readonly value: unknown;
  constructor(task: string, value: unknown, text: string) {
    super('ERR_TASK_NON_ERROR_THROWN', `Task '${task}' threw a non-Error value: ${text}`);
    this.value = value;
  }
  static {
    named(TaskNonErrorThrownError, 'TaskNonErrorThrownError');
  }
}

/** Why a pool worker stopped: what `WorkerCrashedError.reason` holds. */
export type CrashReason = 'exit' | 'error' | 'oom' | 'signal' | 'stuck' | 'protocol';

/** The worker running the task died (exit, uncaught error, out of memory, killed). */
export class WorkerCrashedError extends SpindleError<'ERR_WORKER_CRASHED'> {
  declare readonly name: 'WorkerCrashedError';
  readonly workerId: number;
  readonly reason: CrashReason;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  constructor(
    info: {
      workerId: number;
      reason: CrashReason;
      exitCode: number | null;
      signal?: NodeJS.Signals | null;
      detail: string;
    },
    options?: ErrorOptions,
  ) {
    super('ERR_WORKER_CRASHED', `Worker ${info.workerId} ${info.detail}`, options);
    this.workerId = info.workerId;
    this.reason = info.reason;
    this.exitCode = info.exitCode;
    this.signal = info.signal ?? null;
  }
  static {
    named(WorkerCrashedError, 'WorkerCrashedError');
  }
}

/**
 * The worker module could not be loaded (syntax error, throws at import, bad
 * path), or the pool's `setup` module failed (it threw at import, or its
 * function threw); `url` names the module that failed.
 */
export class WorkerLoadError extends SpindleError<'ERR_WORKER_LOAD'> {
  declare readonly name: 'WorkerLoadError';
  readonly url: string;
  constructor(url: string, cause: unknown, what: 'worker module' | 'setup module' = 'worker module') {
    const why = (cause as Error)?.message ?? cause;
    // a pool without a task module (inline functions only) has no module to name
    super(
      'ERR_WORKER_LOAD',
      url === '' ? `A pool worker failed to start: ${why}` : `The ${what} ${url} failed to load: ${why}`,
      {
        cause,
      },
    );
    this.url = url;
  }
  static {
    named(WorkerLoadError, 'WorkerLoadError');
  }
}

/** The worker module file (or the pool's `setup` module) does not exist. */
export class WorkerNotFoundError extends SpindleError<'ERR_WORKER_NOT_FOUND'> {
  declare readonly name: 'WorkerNotFoundError';
  readonly path: string;
  constructor(path: string, what: 'worker module' | 'setup module' = 'worker module') {
    super('ERR_WORKER_NOT_FOUND', `The ${what} ${path} does not exist`);
    this.path = path;
  }
  static {
    named(WorkerNotFoundError, 'WorkerNotFoundError');
  }
}

/**
 * A worker program broke the line protocol (docs/protocol.md): a line that is
 * not a JSON message, an unknown message type, a result for no task. The pool
 * stops that worker; its running tasks reject with ERR_WORKER_CRASHED (reason
 * 'protocol') with this error as `cause`, or with ERR_WORKER_LOAD before it was ready.
 */
export class WorkerProtocolError extends SpindleError<'ERR_WORKER_PROTOCOL'> {
  declare readonly name: 'WorkerProtocolError';
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
  static {
    named(WorkerProtocolError, 'WorkerProtocolError');
  }
}

/**
 * The function a `setup` module returned (its teardown) threw or rejected
 * while the pool stopped the worker; the worker stopped anyway. Reported on
 * the pool's 'error' event (a process warning when nobody listens).
 */
export class WorkerTeardownError extends SpindleError<'ERR_WORKER_TEARDOWN'> {
  declare readonly name: 'WorkerTeardownError';
  readonly workerId: number;
  readonly url: string;
  constructor(workerId: number, url: string, cause: unknown) {
    super(
      'ERR_WORKER_TEARDOWN',
      `The teardown of worker ${workerId} (returned by the setup module ${url}) failed: ${(cause as Error)?.message ?? cause}`,
      { cause },
    );
    this.workerId = workerId;
    this.url = url;
  }
  static {
    named(WorkerTeardownError, 'WorkerTeardownError');
  }
}

/** `pool.reload()` stopped because a new worker could not start (its module does not load); the old workers keep running tasks. */
export class PoolReloadFailedError extends SpindleError<'ERR_POOL_RELOAD_FAILED'> {
  declare readonly name: 'PoolReloadFailedError';
  constructor(cause: unknown) {
    super(
      'ERR_POOL_RELOAD_FAILED',
      `Reload refused: ${(cause as Error)?.message ?? String(cause)}; the old workers keep running tasks`,
      { cause },
    );
  }
  static {
    named(PoolReloadFailedError, 'PoolReloadFailedError');
  }
}

/** `pool.scale()` up stopped because a new worker could not start; the new ones were stopped again and the size is unchanged. */
export class PoolScaleFailedError extends SpindleError<'ERR_POOL_SCALE_FAILED'> {
  declare readonly name: 'PoolScaleFailedError';
  /** The size asked for. */
  readonly wanted: number;
  /** The size kept (the one before the call). */
  readonly workers: number;
  constructor(cause: unknown, wanted: number, workers: number) {
    super(
      'ERR_POOL_SCALE_FAILED',
      `Scale to ${wanted} workers refused: ${(cause as Error)?.message ?? String(cause)}; the pool keeps its size of ${workers}`,
      { cause },
    );
    this.wanted = wanted;
    this.workers = workers;
  }
  static {
    named(PoolScaleFailedError, 'PoolScaleFailedError');
  }
}

/** Every error class of the pool, as a union that `code` discriminates. */
export type PoolError =
  | PoolClosedError
  | PoolDestroyedError
  | PoolQueueFullError
  | PoolReloadFailedError
  | PoolScaleFailedError
  | TaskAbortedError
  | TaskTimeoutError
  | TaskNotFoundError
  | TaskNotCloneableError
  | TaskResultNotCloneableError
  | TaskNonErrorThrownError
  | WorkerCrashedError
  | WorkerLoadError
  | WorkerNotFoundError
  | WorkerProtocolError
  | WorkerTeardownError;
