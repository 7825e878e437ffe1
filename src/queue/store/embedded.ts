// The memory store: jobs live in this process and run on its pool. Priority,
// delay, attempts with backoff and jobId de-duplication behave as with Redis,
// but nothing survives the process: a job still waiting when the process
// ends is gone.
import { QueueClosedError, QueueJobFailedError } from '../../errors/index.js';
import { rebuildError, toRemote } from '../../errors/remote.js';
import type { Pool } from '../../pool/pool.js';
import { backoffDelay } from '../backoff.js';
import { Job } from '../job.js';
import type { CloseResult, ResolvedAdd, ResolvedQueueOptions } from '../options.js';
import { IdleWait } from './idle.js';
import type { Emit, Store } from './types.js';

interface Entry {
  job: Job;
  opts: ResolvedAdd;
  seq: number;
  attemptsMade: number;
  state: 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';
  timer: NodeJS.Timeout | undefined;
  abort: AbortController | undefined;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  settled: Promise<unknown>;
}

export class EmbeddedStore implements Store {
  readonly #o: ResolvedQueueOptions;
  readonly #pool: Pool<any>;
  readonly #emit: Emit;
  /** jobs not finished, plus finished ones that carry a caller's jobId (for de-duplication) */
  readonly #jobs = new Map<string, Entry>();
  /** waiting jobs, by priority (higher first) then order of arrival */
  readonly #waiting: Entry[] = [];
  readonly #active = new Set<Entry>();
  #seq = 0;
  #nextId = 1;
  #closing = false;
  #handingBack = false;
  /** close() waits on this for the running jobs to end */
  readonly #idle = new IdleWait();

  constructor(o: ResolvedQueueOptions, emit: Emit) {
    this.#o = o;
    this.#pool = o.pool!;
    this.#emit = emit;
  }

  async add(name: string, args: unknown[], opts: ResolvedAdd): Promise<Job> {
    if (opts.jobId !== undefined) {
      const existing = this.#jobs.get(opts.jobId);
      if (existing) return existing.job;
    }
    const id = opts.jobId ?? String(this.#nextId++);
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const settled = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    settled.catch(() => {}); // observed through job.result(); no unhandled rejection otherwise
    const e: Entry = {
      job: new Job(id, name, args, opts.attempts, () => settled),
      opts,
      seq: this.#seq++,
      attemptsMade: 0,
      state: 'waiting',
      timer: undefined,
      abort: undefined,
      resolve,
      reject,
      settled,
    };
    this.#jobs.set(id, e);
    if (opts.delay > 0) this.#later(e, opts.delay);
    else this.#enqueue(e);
    return e.job;
  }

  #later(e: Entry, ms: number): void {
    e.state = 'delayed';
    e.timer = setTimeout(() => {
      e.timer = undefined;
      this.#enqueue(e);
    }, ms);
  }

  #enqueue(e: Entry): void {
    e.state = 'waiting';
    const w = this.#waiting;
    let lo = 0;
    let hi = w.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = w[mid]!;
      if (m.opts.priority > e.opts.priority || (m.opts.priority === e.opts.priority && m.seq < e.seq)) lo = mid + 1;
      else hi = mid;
    }
    w.splice(lo, 0, e);
    this.#pump();
  }

  #pump(): void {
    while (!this.#closing && this.#active.size < this.#o.concurrency && this.#waiting.length > 0)
      this.#start(this.#waiting.shift()!);
  }

  #start(e: Entry): void {
    e.state = 'active';
    e.attemptsMade++;
    e.abort = new AbortController();
    this.#active.add(e);
    const { job } = e;
    this.#pool
      .run(job.name, job.args as unknown[], {
        signal: e.abort.signal,
        onProgress: (progress: unknown) => this.#emit('progress', { jobId: job.id, progress }),
      })
      .then(
        (result) => this.#done(e, true, result),
        (err) => this.#done(e, false, err),
      );
  }

  #done(e: Entry, ok: boolean, value: unknown): void {
    this.#active.delete(e);
    e.abort = undefined;
    const id = e.job.id;
    if (ok) {
      this.#finish(e, 'completed');
      e.resolve(value);
      this.#emit('completed', { jobId: id, result: value });
    } else if (this.#handingBack) {
      // aborted by close(): it did not run to its end; the memory store cannot keep it
      e.attemptsMade--;
      this.#finish(e, 'failed');
      e.reject(
        new QueueClosedError(
          `The job queue closed while job '${id}' was running; the memory store does not keep jobs past close()`,
        ),
      );
    } else if (e.attemptsMade < e.opts.attempts) {
      const delay = backoffDelay(e.opts.backoff, e.attemptsMade);
      this.#emit('retrying', { jobId: id, error: value as Error, attemptsMade: e.attemptsMade, delay });
      if (delay > 0) this.#later(e, delay);
      else this.#enqueue(e);
    } else {
      // the cause as the Redis store rebuilds it (through JSON), so code moves between stores unchanged
      const cause = rebuildError(toRemote(value, 'json'), this.#o.errorClasses);
      const error = new QueueJobFailedError(id, e.job.name, e.attemptsMade, cause.message, { cause });
      this.#finish(e, 'failed');
      e.reject(error);
      this.#emit('failed', { jobId: id, error });
    }
    this.#pump();
    if (this.#active.size === 0) this.#idle.notify();
  }

  #finish(e: Entry, state: 'completed' | 'failed'): void {
    e.state = state;
    if (e.opts.jobId === undefined) this.#jobs.delete(e.job.id);
  }

  /**
   * Stops starting jobs, lets the running ones finish within `grace` ms,
   * aborts the rest; whatever did not finish rejects with ERR_QUEUE_CLOSED.
   * Clean when nothing was aborted or dropped.
   */
  async close(grace: number): Promise<CloseResult> {
    this.#closing = true;
    let clean = true;
    if (this.#active.size > 0) {
      await this.#idle.grace(grace);
      if (this.#active.size > 0) {
        clean = false;
        this.#handingBack = true;
        const stopped = this.#idle.idle();
        for (const e of this.#active) e.abort?.abort(new QueueClosedError('The job queue closed'));
        await stopped;
      }
    }
    for (const e of this.#jobs.values()) {
      if (e.state !== 'waiting' && e.state !== 'delayed') continue;
      clean = false;
      clearTimeout(e.timer);
      this.#finish(e, 'failed');
      e.reject(
        new QueueClosedError(
          `The job queue closed before job '${e.job.id}' ran; the memory store does not keep jobs past close()`,
        ),
      );
    }
    this.#waiting.length = 0;
    return { clean };
  }

  /** destroy(): running jobs are aborted now, whatever grace close() was given. */
  force(): void {
    this.#closing = true;
    this.#idle.force();
  }
}
