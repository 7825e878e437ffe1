import type { WireTask, WorkerHandle } from '../runtime/types.js';

/**
 * How far ahead of a worker we send. Tiny tasks need many in flight to hide
 * the round trip and to batch messages; long tasks need only one waiting, so
 * a short task never queues behind a long one for long (and when it does, an
 * idle worker takes it back: see PoolCore.steal). The window is sized so the
 * tasks waiting at a worker add up to about AHEAD_MS of work.
 */
const AHEAD_MS = 2;
const MAX_AHEAD = 8192;
const FIRST_AHEAD = 4;
/**
 * Broadcast tasks one worker may hold in flight on top of its window; more
 * wait at the pool for one of them to settle (a slot table has a bound).
 */
export const MAX_PINNED = 64;

/** Workers started together by reload() or scale(): all become ready, or the call fails. */
export interface Trial<T extends WireTask> {
  ready(w: PoolWorker<T>, taskNames: string[]): void;
  failed(w: PoolWorker<T>, error: Error): void;
}

/** The pool's bookkeeping for one worker handle. */
export class PoolWorker<T extends WireTask> {
  ready = false;
  /** no new tasks; stop once what is in flight is done */
  retiring = false;
  /** exited or being terminated */
  dead = false;
  /** tasks sent to this worker in its life (recycle.afterTasks) */
  sent = 0;
  /** moving average of task run time on this worker; -1 before the first result */
  avgRunMs = -1;
  idleTimer: NodeJS.Timeout | undefined = undefined;
  /** armed while the worker loads the module (loadTimeout) */
  loadTimer: NodeJS.Timeout | undefined = undefined;
  /** performance.now() when it last ran out of work; 0 while it has some */
  idleSince = 0;
  /** why the pool stopped it, for the tasks that die with it */
  stopDetail: string | undefined = undefined;
  /** broadcast tasks sent to it and not settled */
  pinned = 0;
  /** broadcast tasks waiting for it to be ready, or for one of its pinned places */
  pinnedWaiting: T[] | undefined = undefined;
  /** started by reload() or scale() and not ready yet: failing to start fails that call, not the pool */
  trial: Trial<T> | undefined = undefined;
  /** tasks it delivered a result (or an error) for */
  settled = 0;
  /** called once it has exited (reload() and scale() wait for the workers they stop) */
  gone: (() => void)[] | undefined = undefined;

  constructor(readonly handle: WorkerHandle<T>) {}

  get usable(): boolean {
    return !this.retiring && !this.dead;
  }

  /**
   * Tasks this worker may hold in flight now. A worker that cannot hand tasks
   * back (no shared claims) gets none while it starts and none ahead until
   * its run time is known: they would wait there behind a slow start or a
   * long first task while another worker idles.
   */
  window(concurrency: number): number {
    const revocable = this.handle.canRevoke;
    if (!this.ready) return revocable ? concurrency : 0;
    const ahead =
      this.avgRunMs < 0
        ? revocable
          ? FIRST_AHEAD
          : 0
        : Math.min(MAX_AHEAD, Math.max(1, Math.ceil(AHEAD_MS / Math.max(this.avgRunMs, 0.001))));
    return Math.min(this.handle.maxInflight, concurrency + ahead);
  }

  /** How many more tasks to send now; 0 until half the window is free, so sends come in batches. */
  room(concurrency: number, afterTasks: number): number {
    if (!this.usable) return 0;
    const window = this.window(concurrency);
    const inflight = this.handle.inflight;
    if (inflight >= concurrency && inflight > window >> 1) return 0;
    return Math.max(0, Math.min(window - inflight, afterTasks - this.sent));
  }

  /** Clears the timers the pool keeps for this worker (it is stopping or gone). */
  clearTimers(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.loadTimer) clearTimeout(this.loadTimer);
    this.idleTimer = undefined;
    this.loadTimer = undefined;
  }

  /** Feeds the run-time average with a finished task. */
  observe(runMs: number): void {
    this.avgRunMs = this.avgRunMs < 0 ? runMs : this.avgRunMs * 0.8 + runMs * 0.2;
  }
}

/** Maximum tasks in flight per worker: sizes the runtime's slot table (made as needed, up to this). */
export function maxInflight(concurrency: number): number {
  return concurrency + MAX_AHEAD + MAX_PINNED;
}
