// The Redis store, through BullMQ: the only file that imports bullmq. A
// BullMQ Worker fetches jobs and holds their locks; its processor only hands
// each job to the local spindle Pool, so this event loop stays free to renew
// locks however CPU-heavy the jobs are.
import type * as BullMQ from 'bullmq';
import {
  QueueBullmqMissingError,
  QueueClosedError,
  QueueJobFailedError,
  QueueUnreachableError,
  TaskNotFoundError,
} from '../../errors/index.js';
import type { Pool } from '../../pool/pool.js';
import { backoffDelay, type ResolvedBackoff } from '../backoff.js';
import { Job } from '../job.js';
import { MAX_PRIORITY, type ResolvedAdd, type ResolvedQueueOptions } from '../options.js';
import { connectionOptions, safeUrl } from './connection.js';
import { IdleWait } from './idle.js';
import type { Emit, Store } from './types.js';

/** What a job carries in Redis (JSON). */
interface JobData {
  args: unknown[];
  backoff: ResolvedBackoff;
}

/** Loads bullmq (an optional peer dependency) or says how to install it. */
async function loadBullMQ(): Promise<typeof BullMQ> {
  try {
    return await import('bullmq');
  } catch (err) {
    throw new QueueBullmqMissingError(err);
  }
}

interface Running {
  abort: AbortController;
  job: BullMQ.Job<JobData>;
  token: string | undefined;
}

/** Errors per kind are reported at most this often (a Redis outage repeats them). */
const ERROR_EVERY_MS = 5000;
/** per Redis URL: the queues of one process share one report */
const lastReport = new Map<string, number>();

export class RedisStore implements Store {
  readonly #o: ResolvedQueueOptions;
  readonly #emit: Emit;
  readonly #url: string;
  readonly #ready: Promise<void>;
  #mq!: typeof BullMQ;
  #queue!: BullMQ.Queue<JobData>;
  #events: BullMQ.QueueEvents | undefined;
  /** started on first need: a node nobody watches reads no event stream */
  #eventsReady: Promise<BullMQ.QueueEvents> | undefined;
  #connection: object | undefined;
  #worker: BullMQ.Worker<JobData> | undefined;
  readonly #running = new Map<string, Running>();
  /** the delay each retry got (the backoff strategy draws the jitter) */
  readonly #delays = new Map<string, number>();
  #handingBack = false;
  /** close() waits on this for the running jobs to end */
  readonly #idle = new IdleWait();
  #closed = false;

  constructor(o: ResolvedQueueOptions, emit: Emit) {
    this.#o = o;
    this.#emit = emit;
    this.#url = safeUrl(o.redis!);
    this.#ready = this.#open();
    this.#ready.catch(() => {}); // reported by add() and work()
  }

  /** Resolves once the store's BullMQ objects exist (not necessarily connected). */
  opened(): Promise<void> {
    return this.#ready;
  }

  async #open(): Promise<void> {
    const mq = await loadBullMQ();
    this.#mq = mq;
    const o = this.#o;
    const connection = connectionOptions(o.redis!);
    this.#queue = new mq.Queue<JobData>(o.name, { connection });
    this.#queue.on('error', this.#onError);
    this.#connection = connection;
    if (o.pool) this.#worker = this.#startWorker(mq, o.pool, connection);
  }

  /**
   * QueueEvents reads the events stream from the moment it was created by the
   * server's clock (not from its first read, which comes later), so no event
   * of a job added after add() resolved is missed, on any machine.
   */
  watch(): Promise<BullMQ.QueueEvents> {
    if (!this.#eventsReady) {
      this.#eventsReady = this.#ready.then(() => this.#openEvents(this.#mq, this.#connection!));
      this.#eventsReady.catch(() => {});
    }
    return this.#eventsReady;
  }

  async #openEvents(mq: typeof BullMQ, connection: object): Promise<BullMQ.QueueEvents> {
    if (this.#closed) throw new QueueClosedError();
    const client = await this.#queue.client;
    const [sec, usec] = await (client as unknown as { time(): Promise<[string, string]> }).time();
    const lastEventId = `${Number(sec) * 1000 + Math.floor(Number(usec) / 1000)}-0`;
    const events = new mq.QueueEvents(this.#o.name, { connection, lastEventId });
    this.#events = events;
    events.on('error', this.#onError);
    events.on('completed', ({ jobId, returnvalue }) =>
      this.#emit('completed', { jobId, result: parseMaybe(returnvalue) }),
    );
    events.on('failed', ({ jobId, failedReason }) => {
      void this.#failure(jobId, failedReason).then((error) => this.#emit('failed', { jobId, error }));
    });
    events.on('stalled', ({ jobId }) => this.#emit('stalled', { jobId }));
    events.on('progress', ({ jobId, data }) => this.#emit('progress', { jobId, progress: data }));
    await events.waitUntilReady();
    return events;
  }

  #startWorker(mq: typeof BullMQ, pool: Pool<any>, connection: object): BullMQ.Worker<JobData> {
    const o = this.#o;
    const processor = async (job: BullMQ.Job<JobData>, token?: string): Promise<unknown> => {
      const abort = new AbortController();
      this.#running.set(job.id!, { abort, job, token });
      try {
        return await pool.run(job.name, job.data.args, {
          signal: abort.signal,
          onProgress: (p: unknown) => {
            job.updateProgress(p as BullMQ.JobProgress).catch(this.#onError);
          },
        });
      } catch (err) {
        if (this.#handingBack && abort.signal.aborted) {
          // close() ran out of grace: give the job back to the queue under our
          // lock; WaitingError tells BullMQ that it has been moved already
          await job.moveToWait(token);
          throw new mq.WaitingError();
        }
        if (err instanceof TaskNotFoundError) throw new mq.UnrecoverableError(err.message);
        throw err;
      } finally {
        this.#running.delete(job.id!);
        if (this.#running.size === 0) this.#idle.notify();
      }
    };
    const worker = new mq.Worker<JobData>(o.name, processor, {
      connection,
      concurrency: o.concurrency,
      lockDuration: o.lockDuration,
      stalledInterval: o.stalledInterval,
      maxStalledCount: o.maxStalledCount,
      settings: {
        backoffStrategy: (attemptsMade, _type, _err, job) => {
          const data = (job as BullMQ.Job<JobData> | undefined)?.data;
          const delay = data?.backoff ? backoffDelay(data.backoff, attemptsMade) : 0;
          if (job?.id) this.#delays.set(job.id, delay);
          return delay;
        },
      },
    });
    worker.on('error', this.#onError);
    worker.on('failed', (job, err) => {
      if (!job?.id) return;
      const delay = this.#delays.get(job.id) ?? 0;
      this.#delays.delete(job.id);
      if (err instanceof mq.UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)) return;
      this.#emit('retrying', { jobId: job.id, error: err, attemptsMade: job.attemptsMade, delay });
    });
    return worker;
  }

  /** Connection errors repeat while Redis is away: one coded report per interval, never a throw. */
  readonly #onError = (err: Error): void => {
    if (this.#closed) return;
    const now = Date.now();
    if (now - (lastReport.get(this.#url) ?? 0) < ERROR_EVERY_MS) return;
    lastReport.set(this.#url, now);
    const coded = /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|Connection is closed/.test(err.message)
      ? new QueueUnreachableError(this.#url, err.message, { cause: err })
      : err;
    this.#emit('error', coded);
  };

  async add(name: string, args: unknown[], opts: ResolvedAdd): Promise<Job> {
    await this.#ready;
    const limit = this.#o.addTimeout;
    const until = Date.now() + limit;
    // one deadline for every round trip of this add()
    const bounded = <T>(p: Promise<T>): Promise<T> =>
      deadline(
        p,
        Math.max(1, until - Date.now()),
        () => new QueueUnreachableError(this.#url, `add() got no answer within ${limit} ms`),
      );
    // a watched queue must see the events of the job it is about to add
    if (this.#eventsReady) await bounded(this.#eventsReady);
    let bj = await bounded(
      this.#queue.add(
        name,
        { args, backoff: opts.backoff },
        {
          jobId: opts.jobId,
          attempts: opts.attempts,
          backoff: { type: 'spindle' },
          // BullMQ runs lower numbers first and unprioritized jobs before all
          // others; every job gets a place on its 1..2^21 scale instead
          priority: MAX_PRIORITY + 1 - opts.priority,
          delay: opts.delay || undefined,
        },
      ),
    );
    const id = bj.id!;
    // an existing jobId adds nothing: report the job that Redis holds
    if (opts.jobId !== undefined) bj = (await bounded(this.#mq.Job.fromId<JobData>(this.#queue, id))) ?? bj;
    return new Job(id, bj.name, bj.data.args, bj.opts.attempts ?? opts.attempts, () => this.#wait(id));
  }

  async #wait(id: string): Promise<unknown> {
    if (this.#closed) throw new QueueClosedError();
    const events = await this.watch();
    const bj = await this.#mq.Job.fromId<JobData>(this.#queue, id);
    if (!bj)
      throw new QueueJobFailedError(
        id,
        '(unknown)',
        0,
        'the job is not in Redis any more (removed, or Redis lost its data)',
      );
    try {
      return await bj.waitUntilFinished(events);
    } catch (err) {
      throw await this.#failure(id, (err as Error).message);
    }
  }

  /** ERR_QUEUE_JOB_FAILED for a job that failed for good, with what Redis knows of it. */
  async #failure(id: string, reason: string): Promise<QueueJobFailedError> {
    let bj: BullMQ.Job<JobData> | undefined;
    try {
      bj = await this.#mq.Job.fromId<JobData>(this.#queue, id);
    } catch {
      // Redis unreachable: report what the event said
    }
    const cause = new Error(reason);
    if (bj?.stacktrace?.length) cause.stack = bj.stacktrace.at(-1);
    return new QueueJobFailedError(id, bj?.name ?? '(unknown)', bj?.attemptsMade ?? 0, reason, { cause });
  }

  /**
   * Stops fetching jobs, lets running ones finish within `grace`, then aborts
   * the rest and moves each back to the wait list under its lock, so another
   * node takes it at once (no lock expiry to wait out). Nothing is lost.
   */
  async close(): Promise<void> {
    try {
      await this.#ready;
    } catch {
      this.#closed = true;
      return;
    }
    const worker = this.#worker;
    if (worker) {
      await deadline(worker.pause(true), CLOSE_MS, () => new Error('pause timed out')).catch(() => {});
      if (this.#running.size > 0) await this.#idle.wait(this.#o.grace);
      if (this.#running.size > 0) {
        this.#handingBack = true;
        for (const r of this.#running.values()) r.abort.abort(new QueueClosedError('The node is stopping'));
      }
      // a Redis that is away would keep a graceful close waiting forever
      await closeOrDrop(worker, CLOSE_MS);
    }
    this.#closed = true;
    await Promise.all([
      this.#events ? closeOrDrop(this.#events, CLOSE_MS) : undefined,
      closeOrDrop(this.#queue, CLOSE_MS),
    ]);
  }
}

/** How long a BullMQ object gets to close cleanly before its connections are dropped. */
const CLOSE_MS = 5000;

async function closeOrDrop(o: { close(): Promise<void>; disconnect(): Promise<void> }, ms: number): Promise<void> {
  try {
    await deadline(o.close(), ms, () => new Error('close timed out'));
  } catch {
    await o.disconnect().catch(() => {});
  }
}

function deadline<T>(p: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

function parseMaybe(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}
