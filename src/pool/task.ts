import type { TransferListItem } from 'node:worker_threads';
import type { OtelSpan, TaskMeta } from '../observe/context.js';
import type { WireTask } from '../runtime/types.js';
import type { PoolWorker } from './worker.js';

/** Where a task is in its life. */
export const enum State {
  /** in the pool's queue */
  Queued = 0,
  /** sent to a worker, not settled */
  Sent = 1,
  /** promise already rejected (abort, timeout) but still in flight on a worker */
  Abandoned = 2,
  /** settled and off every worker */
  Done = 3,
}

/** One `run()` call from submission to settlement. */
export class Task implements WireTask {
  slot = -1;
  state = State.Queued;
  queued = false;
  worker: PoolWorker<Task> | undefined = undefined;
  timer: NodeJS.Timeout | undefined = undefined;
  graceTimer: NodeJS.Timeout | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  /** context to restore on the worker (observe/context.ts); set only while capturing */
  meta: TaskMeta | undefined = undefined;
  /** spindle's span for this task; set only when OpenTelemetry is in use */
  span: OtelSpan | undefined = undefined;
  /** the run time its worker reported (for the span) */
  runMs = 0;
  /** the caller's `label` option: what status output names the task by */
  label: string | null = null;
  /** set only when the caller passed `onProgress` */
  onProgress: ((value: unknown) => void) | undefined = undefined;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly args: unknown[],
    readonly transfer: readonly TransferListItem[] | undefined,
    readonly priority: number,
    readonly signal: AbortSignal | undefined,
    /** ms the task may run once started; 0 = no limit */
    readonly timeout: number,
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: unknown) => void,
    readonly enqueuedAt: number,
  ) {}
}

/**
 * A task for one given worker (`pool.broadcast`): sent to that worker only,
 * never taken back to run elsewhere. A subclass, so that the tasks of `run()`
 * carry nothing for it.
 */
export class PinnedTask extends Task {
  /** it was sent to its worker (counts against the worker's MAX_PINNED) */
  delivered = false;
  constructor(
    readonly target: PoolWorker<Task>,
    ...task: ConstructorParameters<typeof Task>
  ) {
    super(...task);
  }
}
