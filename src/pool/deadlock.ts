// Reports a pool that can no longer make progress because its tasks wait on
// each other: every worker is blocked on a spindle/shared primitive (a Mutex
// held by a task still queued, a Channel whose producer has no worker to run
// on) while tasks wait for a worker. Nothing here runs per task: a timer looks
// at the workers' blocking counters (shared/blocking.ts) twice a second, and
// only while the pool has workers that keep such counters (threads).
import { BLOCKED_ASYNC, BLOCKED_SYNC, WAITS_ENTERED } from '../shared/blocking.js';
import type { TaskQueue } from './queue.js';
import type { Task } from './task.js';
import type { PoolDeadlockEvent } from './types.js';
import type { PoolWorker } from './worker.js';

/** How often the counters are read; a deadlock is reported after it held for two reads in a row. */
const CHECK_MS = 500;
/** Task names an event lists at most. */
const LISTED = 20;

/** What the watch reads of the pool. */
export interface DeadlockView {
  readonly workers: readonly PoolWorker<Task>[];
  readonly queue: TaskQueue<Task>;
  /** tasks settled so far: a change means progress */
  settled(): number;
}

export class DeadlockWatch {
  private timer: NodeJS.Timeout | undefined = undefined;
  /** progress signature of the last read that found every worker blocked */
  private last = '';
  private reported = false;

  constructor(
    private readonly pool: DeadlockView,
    private readonly concurrency: number,
    private readonly report: (event: PoolDeadlockEvent) => void,
  ) {}

  /** Starts watching (idempotent): a worker that keeps blocking counters was started. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(this.check, CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.last = '';
    this.reported = false;
  }

  private readonly check = (): void => {
    const signature = this.blockedSignature();
    if (signature === undefined) {
      this.last = '';
      this.reported = false;
    } else if (signature !== this.last) {
      this.last = signature; // blocked now; unchanged at the next read, it is stuck
      this.reported = false;
    } else if (!this.reported) {
      this.reported = true;
      this.report(this.describe());
    }
  };

  /**
   * When every live worker is blocked and some task waits to start: a string
   * that changes whenever anything moves (a task settles, a wait is entered).
   * Otherwise undefined.
   */
  private blockedSignature(): string | undefined {
    const workers = this.pool.workers;
    let waits = 0;
    let live = 0;
    let waiting = this.pool.queue.size;
    for (const w of workers) {
      if (w.dead) continue;
      const words = w.handle.blocking;
      if (words === undefined || !w.ready) return undefined;
      const stuck = Atomics.load(words, BLOCKED_SYNC) > 0 || Atomics.load(words, BLOCKED_ASYNC) >= this.concurrency;
      if (!stuck) return undefined;
      live++;
      waits += Atomics.load(words, WAITS_ENTERED);
      if (waiting === 0) for (const t of w.handle.tasks()) if (w.handle.startedAt(t) === 0) waiting++;
    }
    if (live === 0 || waiting === 0) return undefined;
    return `${this.pool.settled()}:${waits}`;
  }

  private describe(): PoolDeadlockEvent {
    const ids: number[] = [];
    const blocked: string[] = [];
    const unstarted: string[] = [];
    let waitingCount = this.pool.queue.size;
    for (const w of this.pool.workers) {
      if (w.dead) continue;
      ids.push(w.handle.id);
      for (const t of w.handle.tasks()) {
        if (w.handle.startedAt(t) > 0) blocked.push(t.name);
        else {
          waitingCount++;
          unstarted.push(t.name);
        }
      }
    }
    const waiting = [...unstarted, ...this.pool.queue.peek(LISTED).map((t) => t.name)].slice(0, LISTED);
    return { workers: ids, blocked, waiting, waitingCount };
  }
}

/** The process warning for a deadlock nobody listens for. */
export function deadlockMessage(e: PoolDeadlockEvent): string {
  const list = (names: string[]) => names.map((n) => `'${n}'`).join(', ');
  const more = e.waitingCount > e.waiting.length ? ` and ${e.waitingCount - e.waiting.length} more` : '';
  return (
    `Possible deadlock: every worker of the pool (${e.workers.join(', ')}) is blocked on a spindle/shared ` +
    `primitive, running ${list(e.blocked)}, while ${e.waitingCount} task(s) wait for a worker ` +
    `(${list(e.waiting)}${more}). A task that waits for another task needs that task to have a worker: ` +
    'give the pool more workers than tasks that block at once, or wait with a timeout.'
  );
}
