import type { TransferListItem } from 'node:worker_threads';
// The boundary between the pool's logic and a runtime (threads, processes).
// The pool only ever talks to a WorkerHandle; a handle only ever reports to
// its WorkerSink. Nothing above this file knows what a worker is made of.
import type { CrashReason } from '../errors/index.js';
import type { TaskMeta } from '../observe/context.js';

/** What the pool hands a runtime for each task it sends. */
export interface WireTask {
  readonly id: number;
  readonly name: string;
  readonly args: unknown[];
  readonly transfer: readonly TransferListItem[] | undefined;
  /** trace context and AsyncLocalStorage values to restore around the task (observe/context.ts), if any */
  readonly meta: TaskMeta | undefined;
  /** set by the handle while the task is in flight on it */
  slot: number;
}

/** How a worker ended, as the runtime saw it. */
export interface ExitInfo {
  reason: CrashReason;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** human-readable, e.g. "exited with code 1" or "ran out of memory" */
  detail: string;
  /** the uncaught error, if one killed it */
  error?: Error;
  /** true when the pool asked for this exit (terminate, close) */
  expected: boolean;
  /** tasks the runtime already failed for what ended this worker (a protocol break fails those it was running) */
  failedTasks?: number;
}

/** Callbacks from a handle into the pool. */
export interface WorkerSink<T extends WireTask = WireTask> {
  ready(handle: WorkerHandle<T>, taskNames: string[]): void;
  /** the worker could not load; `setup` is the setup module's URL when that one failed */
  loadFailed(handle: WorkerHandle<T>, error: Error, setup?: string): void;
  /** the setup module's teardown failed while the worker stopped (it stops anyway) */
  teardownFailed(handle: WorkerHandle<T>, error: Error): void;
  /** a task's outcome; `value` is the result, or the rebuilt error when !ok */
  result(handle: WorkerHandle<T>, task: T, ok: boolean, value: unknown, runMs: number): void;
  /** a task could not be sent (arguments not cloneable); it never reached the worker */
  unsendable(handle: WorkerHandle<T>, task: T, error: unknown): void;
  /** a running task reported progress (never sent unless the task calls `progress()`) */
  progress(handle: WorkerHandle<T>, task: T, value: unknown): void;
  /** the worker asks to be replaced (heap over its limit) */
  recycle(handle: WorkerHandle<T>, heapMb: number): void;
  /** the worker is gone; every message it sent before dying was delivered first */
  exit(handle: WorkerHandle<T>, info: ExitInfo): void;
}

/** One worker, as the pool sees it. */
export interface WorkerHandle<T extends WireTask = WireTask> {
  readonly id: number;
  /** the process id of a process worker (undefined for a thread, or a process that failed to spawn) */
  readonly pid: number | undefined;
  /**
   * counters of the worker's tasks blocked on spindle/shared primitives
   * (shared/blocking.ts), where the runtime shares memory with the pool
   */
  readonly blocking?: Int32Array;
  /**
   * delivers now the results the worker has already written, where the runtime
   * can read them synchronously (a timeout checks them before it fires)
   */
  flush?(): void;
  /** tasks sent to this worker whose result has not come back */
  readonly inflight: number;
  /** how many tasks this worker can hold in flight at most */
  readonly maxInflight: number;
  /** false when the runtime cannot take back a task it sent (no shared claims) */
  readonly canRevoke: boolean;
  /** sends tasks ahead, as one message where possible */
  send(tasks: readonly T[]): void;
  /** takes back a task the worker has not started; true when it will never run there */
  revoke(task: T): boolean;
  /** when the task started running (ms since epoch), or 0 if it has not */
  startedAt(task: T): number;
  /** asks the task to stop (its taskSignal() aborts) */
  abort(task: T, reason: unknown): void;
  /** tasks in flight, oldest first */
  tasks(): T[];
  /** stops the worker now; resolves when it has exited */
  terminate(): Promise<void>;
}

/** Creates handles of one runtime. */
export type RuntimeFactory<T extends WireTask = WireTask> = (id: number, sink: WorkerSink<T>) => WorkerHandle<T>;
