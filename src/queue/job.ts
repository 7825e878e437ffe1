// A job as a caller sees it: what was added, where it stands (a snapshot
// taken when add() or getJob() answered), and calls that act on it.
import type { QueueJobFailedError } from '../errors/index.js';

/**
 * Where a job stands. `waiting`: ready to run (with groups: also waiting for
 * its group's turn); `paused`: would be waiting but the queue is paused;
 * `delayed`: waiting for its `delay` or for the backoff before a retry;
 * `active`: running on a node; `completed`/`failed`: finished (kept as long
 * as `keep` says); `removed`: only on the job add() returns for a jobId
 * that was added before and is not kept any more.
 */
export type JobState = 'waiting' | 'paused' | 'delayed' | 'active' | 'completed' | 'failed' | 'removed';

/** The states `counts()` and `jobs()` know. */
export type ListedJobState = Exclude<JobState, 'removed'>;

/** Jobs by state (`queue.counts()`). */
export type JobCounts = Record<ListedJobState, number>;

/** A job's fields as a store reads them (internal). */
export interface JobRecord {
  id: string;
  name: string;
  args: readonly unknown[];
  attempts: number;
  group: string | null;
  state: JobState;
  attemptsMade: number;
  progress: unknown;
  returnValue: unknown;
  error: QueueJobFailedError | null;
  addedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

/** What a Job calls on its store (internal). */
export interface JobActions {
  wait(id: string): Promise<unknown>;
  retry(id: string): Promise<void>;
  remove(id: string): Promise<void>;
}

/** One job of a JobQueue: a snapshot of its fields, and calls that act on it. */
export class Job<R = unknown> {
  /** the job's id: yours (`jobId`) or one the store made up */
  readonly id: string;
  /** the task it runs (an exported function of the pool's module) */
  readonly name: string;
  readonly args: readonly unknown[];
  /** runs in total before it fails for good */
  readonly attempts: number;
  /** its group, or null */
  readonly group: string | null;
  /** where it stood when this snapshot was taken (`queue.getJob(id)` takes a new one) */
  readonly state: JobState;
  /** attempts started so far (a retry after a failure or a crash counts) */
  readonly attemptsMade: number;
  /** the last value its task passed to `progress()`, 0 before the first (as BullMQ) */
  readonly progress: unknown;
  /** the task's result once completed, else null */
  readonly returnValue: R | null;
  /** once failed for good: the error result() rejects with (`cause`: the last attempt's error), else null */
  readonly error: QueueJobFailedError | null;
  /** when it was added (ms since the epoch) */
  readonly addedAt: number;
  /** when its last attempt started, or null */
  readonly startedAt: number | null;
  /** when it completed or failed for good, or null */
  readonly finishedAt: number | null;
  #result: Promise<R> | undefined;
  readonly #actions: JobActions;

  /** @internal made by the queue's store */
  constructor(record: JobRecord, actions: JobActions) {
    this.id = record.id;
    this.name = record.name;
    this.args = record.args;
    this.attempts = record.attempts;
    this.group = record.group;
    this.state = record.state;
    this.attemptsMade = record.attemptsMade;
    this.progress = record.progress ?? 0;
    this.returnValue = (record.returnValue ?? null) as R | null;
    this.error = record.error;
    this.addedAt = record.addedAt;
    this.startedAt = record.startedAt;
    this.finishedAt = record.finishedAt;
    this.#actions = actions;
  }

  /**
   * Settles when the job has finished for good: its task's result, or
   * ERR_QUEUE_JOB_FAILED once every attempt failed (`cause`: the last error);
   * ERR_QUEUE_JOB_REMOVED when the job is not kept any more (retention,
   * remove(), clean()); ERR_QUEUE_CLOSED when this queue closes first.
   */
  result(): Promise<R> {
    if (!this.#result) {
      this.#result = this.#actions.wait(this.id) as Promise<R>;
      this.#result.catch(() => {}); // a result() nobody awaits is no unhandled rejection (as with the memory store)
    }
    return this.#result;
  }

  /**
   * Runs a failed job again, with a fresh set of `attempts`. Rejects with
   * ERR_QUEUE_JOB_STATE when the job has not failed (or is gone).
   */
  retry(): Promise<void> {
    return this.#actions.retry(this.id);
  }

  /**
   * Removes the job, whatever its state but running (ERR_QUEUE_JOB_STATE:
   * a running job finishes first). A removed job's result() rejects with
   * ERR_QUEUE_JOB_REMOVED. Resolves also when it was gone already.
   */
  remove(): Promise<void> {
    return this.#actions.remove(this.id);
  }

  /** The snapshot as plain JSON (for logs and dashboards): the error as its code and message. */
  toJSON(): Record<string, unknown> {
    const cause = this.error?.cause as { code?: unknown; message?: unknown } | undefined;
    return {
      id: this.id,
      name: this.name,
      args: this.args,
      group: this.group,
      state: this.state,
      attempts: this.attempts,
      attemptsMade: this.attemptsMade,
      progress: this.progress,
      returnValue: this.returnValue,
      error: this.error && {
        code: typeof cause?.code === 'string' ? cause.code : this.error.code,
        message: typeof cause?.message === 'string' ? cause.message : this.error.message,
      },
      addedAt: this.addedAt,
      startedAt: this.startedAt,
      finishedAt: this.finishedAt,
    };
  }
}
