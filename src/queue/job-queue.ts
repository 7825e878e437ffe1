// The public JobQueue: validates, checks task names against the pool, and
// hands jobs to its store (memory or Redis). Owns the lifecycle and events.
import { EventEmitter } from 'node:events';
import { QueueClosedError, TaskNotFoundError } from '../errors/index.js';
import { captureMeta, capturing } from '../observe/context.js';
import { addSource } from '../observe/registry.js';
import type { AnyModule, TaskArgs, TaskName, TaskResult } from '../pool/types.js';
import { emitError } from '../util/events.js';
import { invalid } from '../util/validate.js';
import type { Job, JobCounts } from './job.js';
import { QueueMetrics, queueSource } from './metrics.js';
import {
  type AddOptions,
  type CleanOptions,
  type CloseOptions,
  type CloseResult,
  type JobQueueOptions,
  type JobsOptions,
  type RemoveWaitingOptions,
  type ResolvedQueueOptions,
  resolveAdd,
  resolveClean,
  resolveClose,
  resolveJobs,
  resolveQueueOptions,
  resolveRemoveWaiting,
} from './options.js';
import { checkScheduleKey, resolveSpec, type ScheduleInfo, type ScheduleOptions } from './schedule.js';
import { EmbeddedStore } from './store/embedded.js';
import { RedisStore } from './store/redis.js';
import type { JobQueueEvents, Store } from './store/types.js';

const watched = new Set(['completed', 'failed', 'stalled', 'progress']);

/** Where a JobQueue is in its life: taking jobs, closing, or done. */
export type JobQueueState = 'running' | 'closing' | 'closed';

/**
 * A queue of jobs, each run as a task on a spindle Pool. Delivery is
 * at-least-once: a job whose worker or node dies runs again (give `jobId`
 * and make tasks idempotent). Typed from the task module like Pool:
 * `new JobQueue<typeof import('./tasks.js')>({ name, pool })`.
 */
export class JobQueue<M = AnyModule> extends EventEmitter<JobQueueEvents> {
  readonly #o: ResolvedQueueOptions;
  readonly #store: Store;
  #names: Promise<Set<string>> | undefined;
  #state: JobQueueState = 'running';
  #closing: Promise<CloseResult> | undefined;
  #destroying: Promise<void> | undefined;
  #unfollow: (() => void) | undefined;
  #unregister: (() => void) | undefined;

  constructor(options: JobQueueOptions) {
    super();
    this.#o = resolveQueueOptions(options);
    const emit = (event: keyof JobQueueEvents, ...args: unknown[]): void => {
      if (event === 'error') emitError(this, args[0] as Error);
      else this.emit(event, ...(args as [never]));
    };
    const metrics = new QueueMetrics();
    const store: Store =
      this.#o.redis === undefined ? new EmbeddedStore(this.#o, emit, metrics) : new RedisStore(this.#o, emit, metrics);
    this.#store = store;
    // a queue with a pool runs jobs here: it reports them (a queue that only adds jobs has no node metrics)
    if (this.#o.pool) this.#unregister = addSource(queueSource(this.#o.name, metrics, () => store.counts()));
    const pool = this.#o.pool;
    if (pool && options.concurrency === undefined) {
      // the default concurrency is the pool's capacity, and follows it when the pool is scaled
      const follow = () => {
        this.#o.concurrency = pool.options.maxWorkers * pool.options.concurrency;
        store.setConcurrency?.(this.#o.concurrency);
      };
      pool.on('scale', follow);
      this.#unfollow = () => pool.off('scale', follow);
    }
    if (store.watch) {
      // Redis reads the queue's event stream only once someone listens (a
      // busy node that nobody watches saves the work); listen before add()
      (this as EventEmitter).on('newListener', (event: string) => {
        if (watched.has(event) && this.#state === 'running') void store.watch!();
      });
    }
  }

  /** The queue's name. */
  get name(): string {
    return this.#o.name;
  }

  /** 'running', 'closing' (close() or destroy() called) or 'closed'. Read-only. */
  get state(): JobQueueState {
    return this.#state;
  }

  /**
   * Resolves once the store is set up; rejects with ERR_QUEUE_BULLMQ_MISSING
   * when the Redis store cannot load bullmq. Does not wait for Redis itself.
   */
  async ready(): Promise<void> {
    await this.#store.opened?.();
  }

  /**
   * Adds a job that runs task `name` with `args` (JSON values only: checked
   * here, ERR_QUEUE_JOB_NOT_SERIALIZABLE names the offending path). With a pool, an
   * unknown task name rejects here with ERR_TASK_NOT_FOUND.
   */
  async add<K extends TaskName<M>>(
    name: K,
    args: TaskArgs<M, K>,
    options?: AddOptions,
  ): Promise<Job<Awaited<TaskResult<M, K>>>> {
    if (this.#state !== 'running') throw new QueueClosedError();
    // the context of the caller, stored with the job and restored on whichever node runs it
    const meta = capturing() ? captureMeta() : undefined;
    const opts = resolveAdd(this.#o, name, args, options);
    await this.#checkTask(name);
    return (await this.#store.add(name, args as unknown[], opts, meta)) as Job<Awaited<TaskResult<M, K>>>;
  }

  /** With a pool, a task its module does not export is refused (ERR_TASK_NOT_FOUND). */
  async #checkTask(name: string): Promise<void> {
    const pool = this.#o.pool;
    if (pool) {
      this.#names ??= pool.taskNames().then((n) => new Set(n));
      const names = await this.#names;
      if (!names.has(name)) throw new TaskNotFoundError(name, [...names]);
    }
    this.#open();
  }

  #open(): void {
    if (this.#state !== 'running') throw new QueueClosedError();
  }

  /**
   * The job with id `id` as it is now (state, args, attempts made, progress,
   * result or error, timestamps), from any process; null when the queue
   * does not keep it (never added, or removed).
   */
  async getJob(id: string): Promise<Job | null> {
    this.#open();
    if (typeof id !== 'string' || id === '') throw invalid('id', 'a job id (a non-empty string)', id);
    return this.#store.getJob(id);
  }

  /** Jobs by state: waiting, paused, delayed, active, completed, failed. Cheap: one round trip with Redis. */
  async counts(): Promise<JobCounts> {
    this.#open();
    return this.#store.counts();
  }

  /**
   * The jobs in one state, `limit` (default 100) from `offset` (default 0):
   * waiting and paused in the order they run, delayed soonest first,
   * completed and failed newest first.
   */
  async jobs(options: JobsOptions): Promise<Job[]> {
    this.#open();
    const { state, offset, limit } = resolveJobs(options);
    return this.#store.jobs(state, offset, limit);
  }

  /** Stops every node from starting jobs of this queue (running jobs finish); kept in Redis. */
  async pause(): Promise<void> {
    this.#open();
    await this.#store.pause();
  }

  /** Lets the nodes start jobs again. */
  async resume(): Promise<void> {
    this.#open();
    await this.#store.resume();
  }

  async isPaused(): Promise<boolean> {
    this.#open();
    return this.#store.isPaused();
  }

  /**
   * Removes every job that waits (BullMQ's `drain()`), and with
   * `{ delayed: true }` every delayed job too; running and finished jobs
   * stay, and so does each schedule's next run. Their result() rejects with
   * ERR_QUEUE_JOB_REMOVED.
   */
  async removeWaiting(options?: RemoveWaitingOptions): Promise<void> {
    this.#open();
    await this.#store.removeWaiting(resolveRemoveWaiting(options));
  }

  /**
   * Removes up to `limit` jobs in `state` ('completed', 'failed',
   * 'waiting', 'delayed') that finished (or, waiting, were added) longer
   * than `olderThan` ago; resolves how many it removed.
   */
  async clean(options: CleanOptions): Promise<number> {
    this.#open();
    const { state, olderThan, limit } = resolveClean(options);
    return this.#store.clean(state, olderThan, limit);
  }

  /**
   * Adds a repeating job, or updates the schedule `key` (a call identical to
   * the one that made it changes nothing, so every node may make it at
   * start-up). Each run is one job, whichever node runs it.
   */
  async schedule<K extends TaskName<M>>(
    key: string,
    name: K,
    args: TaskArgs<M, K>,
    options: ScheduleOptions,
  ): Promise<ScheduleInfo> {
    this.#open();
    const k = checkScheduleKey(key);
    const { spec, rest } = await resolveSpec(options);
    const opts = resolveAdd(this.#o, name, args, rest);
    await this.#checkTask(name);
    return this.#store.schedule(k, name, args as unknown[], spec, opts);
  }

  /** Removes schedule `key` and its pending run; false when there was none. */
  async unschedule(key: string): Promise<boolean> {
    this.#open();
    return this.#store.unschedule(checkScheduleKey(key));
  }

  /** Every schedule of the queue, with when each runs next. */
  async schedules(): Promise<ScheduleInfo[]> {
    this.#open();
    return this.#store.schedules();
  }

  /**
   * Stops taking jobs; running jobs get `grace` (default: the queue's) to
   * finish, then are aborted and handed back (Redis: moved back to the wait
   * list for another node; memory: they reject with ERR_QUEUE_CLOSED, as do
   * jobs that had not started). Resolves `{ clean }`: false when something
   * was aborted or dropped. Does not close the pool, which belongs to the
   * caller. Idempotent: a second call returns the first call's promise.
   */
  close(options?: CloseOptions): Promise<CloseResult> {
    if (this.#closing) return this.#closing;
    let grace: number;
    try {
      grace = resolveClose(this.#o.grace, options);
    } catch (err) {
      return Promise.reject(err);
    }
    this.#state = 'closing';
    this.#unfollow?.();
    this.#closing = this.#store.close(grace).finally(() => {
      this.#state = 'closed';
      this.#unregister?.();
    });
    return this.#closing;
  }

  /**
   * The forced close: running jobs are aborted and handed back now (also
   * when a close() is already waiting out its grace); what was pending
   * rejects with ERR_QUEUE_CLOSED. Idempotent.
   */
  destroy(): Promise<void> {
    this.#destroying ??= (async () => {
      this.#store.force();
      await this.close({ grace: 0 });
    })();
    return this.#destroying;
  }

  /** `await using queue = new JobQueue(...)` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
