// The running task as seen from inside a worker. spindle/worker reads it
// through a global symbol so that two copies of spindle in one app (a nested
// node_modules) still see the same task.
import type { AsyncLocalStorage } from 'node:async_hooks';

/** One task being run by this worker. */
export class RunningTask {
  controller: AbortController | undefined = undefined;
  aborted = false;
  reason: unknown = undefined;
  /** its result was posted (a misbehaving thenable cannot settle it twice) */
  finished = false;
  /** it posted progress: its result follows by the same port, after it */
  progressed = false;
  constructor(
    readonly slot: number,
    readonly id: number,
    readonly name: string,
  ) {}

  /** Why: created lazily, most tasks never ask for their signal. */
  signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

export interface WorkerContext {
  /** the task whose code is running now, if any */
  current(): RunningTask | undefined;
  /** shared-memory abort check for sync code (thread runtime), if available */
  abortedNow(task: RunningTask): boolean;
  /** posts a progress value of `task` to the pool (spindle/worker `progress()`) */
  progress(task: RunningTask, value: unknown): void;
}

export const contextKey = Symbol.for('spindle.worker.context');

/** Where the pool worker's id waits for spindle/worker, set before the task module loads. */
export const workerIdKey = Symbol.for('spindle.worker.id');

/** Publishes this worker's id; `workerId` in spindle/worker reads it when first imported. */
export function setWorkerId(id: number): void {
  (globalThis as Record<symbol, unknown>)[workerIdKey] = id;
}

/**
 * Tracks the current task. With one task at a time a plain variable is exact
 * even across awaits; with `concurrency > 1` an AsyncLocalStorage is used, and
 * only then, because it slows every promise in the worker.
 */
export class TaskContext implements WorkerContext {
  private active: RunningTask | undefined = undefined;
  constructor(
    private readonly als: AsyncLocalStorage<RunningTask> | undefined,
    readonly abortedNow: (task: RunningTask) => boolean,
    readonly progress: (task: RunningTask, value: unknown) => void,
  ) {
    (globalThis as Record<symbol, unknown>)[contextKey] = this;
  }

  current(): RunningTask | undefined {
    return this.als ? this.als.getStore() : this.active;
  }

  /** Calls `fn(...args)` with `task` as the current task. */
  call(task: RunningTask, fn: (...a: unknown[]) => unknown, args: unknown[]): unknown {
    if (this.als) return this.als.run(task, fn as (...a: unknown[]) => unknown, ...args);
    this.active = task;
    return fn(...args);
  }

  /** The task finished (sync or async). */
  leave(task: RunningTask): void {
    if (this.active === task) this.active = undefined;
  }
}
