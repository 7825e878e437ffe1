// The Redis store, through BullMQ: the only file that imports bullmq. A
// BullMQ Worker fetches jobs and holds their locks; its processor only hands
// each job to the local spindle Pool, so this event loop stays free to renew
// locks however CPU-heavy the jobs are.
import type { EventEmitter } from 'node:events';
import type * as BullMQ from 'bullmq';
import {
  QueueAuthFailedError,
  QueueBullmqMissingError,
  QueueClosedError,
  QueueJobFailedError,
  QueueUnreachableError,
  TaskNotFoundError,
} from '../../errors/index.js';
import type { Pool } from '../../pool/pool.js';
import { backoffDelay, type ResolvedBackoff } from '../backoff.js';
import { Job } from '../job.js';
import { type CloseResult, MAX_PRIORITY, type ResolvedAdd, type ResolvedQueueOptions } from '../options.js';
import { connectionOptions, MAX_RECONNECT_MS, safeUrl } from './connection.js';
import { decodeFailure, encodeFailure, originalOf } from './failure.js';
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

/** A job's result() waiting for its end. */
interface Waiter {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** Errors per kind are reported at most this often by each queue (a Redis outage repeats them). */
const ERROR_EVERY_MS = 5000;

/** Redis's replies to credentials it refuses (they never contain the password). */
const AUTH_REPLY = /^(WRONGPASS|NOAUTH)\b|^ERR invalid (username-)?password/;
const UNREACHABLE = /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|Connection is closed/;

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
  /** result() calls waiting, by job id: one listener for all of them, whatever their number */
  readonly #waiters = new Map<string, Set<Waiter>>();
  /** the last refusal of our credentials; add() fails fast while it is recent */
  #auth: { error: QueueAuthFailedError; at: number } | undefined;
  /** add() calls waiting for Redis, told at once when it refuses the credentials */
  readonly #authWaiters = new Set<(error: QueueAuthFailedError) => void>();
  /** close() began: no new event reader, no new waiter */
  #closing = false;
  #closed = false;
  /** when each kind of error was last reported */
  readonly #lastReport = new Map<string, number>();

  constructor(o: ResolvedQueueOptions, emit: Emit) {
    this.#o = o;
    this.#emit = emit;
    this.#url = safeUrl(o.redis!);
    this.#ready = this.#open();
    this.#ready.catch(() => {}); // reported by add() and work()
  }

  /** Jobs run here at once from now on (the node's pool was scaled). */
  setConcurrency(n: number): void {
    if (this.#worker) this.#worker.concurrency = n;
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
    this.#queue = quiet(new mq.Queue<JobData>(o.name, { connection }));
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
    if (this.#closing) throw new QueueClosedError();
    const client = await this.#queue.client;
    const [sec, usec] = await (client as unknown as { time(): Promise<[string, string]> }).time();
    // close() may have begun meanwhile: it would not see a reader made now
    if (this.#closing) throw new QueueClosedError();
    const lastEventId = `${Number(sec) * 1000 + Math.floor(Number(usec) / 1000)}-0`;
    const events = quiet(new mq.QueueEvents(this.#o.name, { connection, lastEventId }));
    this.#events = events;
    events.on('error', this.#onError);
    events.on('completed', ({ jobId, returnvalue }) => {
      // QueueEvents has parsed the JSON already
      this.#settle(jobId, true, returnvalue);
      this.#emit('completed', { jobId, result: returnvalue });
    });
    events.on('failed', ({ jobId, failedReason }) => {
      void this.#failure(jobId, failedReason).then((error) => {
        this.#settle(jobId, false, error);
        this.#emit('failed', { jobId, error });
      });
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
        // BullMQ keeps a message and a stack: the stack carries the whole error (./failure.ts)
        if (err instanceof TaskNotFoundError) throw encodeFailure(err, (m) => new mq.UnrecoverableError(m));
        throw encodeFailure(err, (m) => new Error(m));
      } finally {
        this.#running.delete(job.id!);
        if (this.#running.size === 0) this.#idle.notify();
      }
    };
    const worker = quiet(
      new mq.Worker<JobData>(o.name, processor, {
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
      }),
    );
    worker.on('error', this.#onError);
    worker.on('failed', (job, err) => {
      if (!job?.id) return;
      const delay = this.#delays.get(job.id) ?? 0;
      this.#delays.delete(job.id);
      if (err instanceof mq.UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)) return;
      const error = originalOf(err) as Error;
      this.#emit('retrying', { jobId: job.id, error, attemptsMade: job.attemptsMade, delay });
    });
    return worker;
  }

  /**
   * Connection errors repeat while Redis is away or refuses us (every
   * reconnect): one coded report per kind and interval, never a throw.
   */
  readonly #onError = (err: Error): void => {
    if (this.#closed) return;
    const message = String(err?.message);
    let coded: Error = err;
    if (AUTH_REPLY.test(message)) {
      const error = new QueueAuthFailedError(this.#url, message, { cause: err });
      this.#auth = { error, at: Date.now() };
      for (const tell of this.#authWaiters) tell(error);
      coded = error;
    } else if (UNREACHABLE.test(message)) {
      coded = new QueueUnreachableError(this.#url, message, { cause: err });
    }
    const now = Date.now();
    const kind = (coded as { code?: string }).code ?? coded.name;
    if (now - (this.#lastReport.get(kind) ?? 0) < ERROR_EVERY_MS) return;
    this.#lastReport.set(kind, now);
    this.#emit('error', coded);
  };

  async add(name: string, args: unknown[], opts: ResolvedAdd): Promise<Job> {
    await this.#ready;
    // Redis refused our credentials at its last attempt (they come every few
    // seconds while it does): fail now instead of waiting out addTimeout
    const auth = this.#auth;
    if (auth && Date.now() - auth.at <= MAX_RECONNECT_MS + 1000) throw auth.error;
    let tell!: (error: QueueAuthFailedError) => void;
    const refused = new Promise<never>((_, reject) => (tell = reject));
    refused.catch(() => {});
    this.#authWaiters.add(tell);
    try {
      return await this.#add(name, args, opts, refused);
    } finally {
      this.#authWaiters.delete(tell);
    }
  }

  async #add(name: string, args: unknown[], opts: ResolvedAdd, refused: Promise<never>): Promise<Job> {
    const limit = this.#o.addTimeout;
    const until = Date.now() + limit;
    // one deadline for every round trip of this add(), which a refusal of our credentials ends early
    const bounded = <T>(p: Promise<T>): Promise<T> =>
      deadline(
        Promise.race([p, refused]),
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

  /**
   * result(): one entry in #waiters, settled by the event reader's single
   * 'completed'/'failed' listener (BullMQ's waitUntilFinished adds listeners
   * per call, and more than ten at once print MaxListenersExceededWarning),
   * then one look at the job in case it finished before we listened.
   */
  async #wait(id: string): Promise<unknown> {
    if (this.#closing) throw new QueueClosedError();
    await this.watch();
    if (this.#closing) throw new QueueClosedError();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      let set = this.#waiters.get(id);
      if (!set) this.#waiters.set(id, (set = new Set()));
      set.add(waiter);
      // both commands go out at once: one round trip
      Promise.all([this.#mq.Job.fromId<JobData>(this.#queue, id), this.#queue.getJobState(id)]).then(
        ([bj, state]) => {
          if (state === 'completed') this.#settle(id, true, bj?.returnvalue, waiter);
          else if (state === 'failed')
            this.#settle(id, false, this.#failedError(id, bj, bj?.failedReason ?? ''), waiter);
          else if (!bj)
            this.#settle(
              id,
              false,
              new QueueJobFailedError(
                id,
                '(unknown)',
                0,
                'the job is not in Redis any more (removed, or Redis lost its data)',
              ),
              waiter,
            );
        },
        () => {
          // Redis unreachable for now: the job's end still arrives as an event
        },
      );
    });
  }

  /** Settles the result() calls of job `id` (or only `one` of them). */
  #settle(id: string, ok: boolean, value: unknown, one?: Waiter): void {
    const set = this.#waiters.get(id);
    if (!set) return;
    for (const w of one ? [one] : [...set]) {
      if (!set.delete(w)) continue;
      if (ok) w.resolve(value);
      else w.reject(value as Error);
    }
    if (set.size === 0) this.#waiters.delete(id);
  }

  /** ERR_QUEUE_JOB_FAILED for a job that failed for good, with what Redis knows of it. */
  async #failure(id: string, reason: string): Promise<QueueJobFailedError> {
    let bj: BullMQ.Job<JobData> | undefined;
    try {
      bj = await this.#mq.Job.fromId<JobData>(this.#queue, id);
    } catch {
      // Redis unreachable: report what the event said
    }
    return this.#failedError(id, bj, reason);
  }

  /**
   * The cause is the last attempt's error, rebuilt as the memory store does:
   * class (spindle's, and `errorClasses`), name, code, fields.
   */
  #failedError(id: string, bj: BullMQ.Job<JobData> | undefined, reason: string): QueueJobFailedError {
    const cause = decodeFailure(bj?.stacktrace?.at(-1), reason, this.#o.errorClasses);
    return new QueueJobFailedError(id, bj?.name ?? '(unknown)', bj?.attemptsMade ?? 0, reason, { cause });
  }

  /**
   * Stops fetching jobs, lets running ones finish within `grace` ms, then
   * aborts the rest and moves each back to the wait list under its lock, so
   * another node takes it at once (no lock expiry to wait out). Nothing is
   * lost; clean when nothing had to be handed back. result() calls still
   * waiting reject with ERR_QUEUE_CLOSED (their jobs stay in Redis).
   */
  async close(grace: number): Promise<CloseResult> {
    this.#closing = true;
    try {
      await this.#ready;
    } catch {
      this.#closed = true;
      return { clean: true };
    }
    let clean = true;
    const worker = this.#worker;
    if (worker) {
      await deadline(worker.pause(true), CLOSE_MS, () => new Error('pause timed out')).catch(() => {});
      if (this.#running.size > 0) await this.#idle.grace(grace);
      if (this.#running.size > 0) {
        clean = false;
        this.#handingBack = true;
        for (const r of this.#running.values()) r.abort.abort(new QueueClosedError('The node is stopping'));
      }
      // a Redis that is away would keep a graceful close waiting forever
      await closeOrDrop(worker, CLOSE_MS);
    }
    this.#closed = true;
    for (const id of [...this.#waiters.keys()])
      this.#settle(id, false, new QueueClosedError(`The job queue closed while result() of job '${id}' waited`));
    await Promise.all([
      this.#events ? closeOrDrop(this.#events, CLOSE_MS) : undefined,
      closeOrDrop(this.#queue, CLOSE_MS),
    ]);
    return { clean };
  }

  /** destroy(): running jobs are handed back now, whatever grace close() was given. */
  force(): void {
    this.#closing = true;
    this.#idle.force();
  }
}

/**
 * BullMQ's connection object reports a failed connection attempt as an
 * 'error' event from a promise handler, also after close() removed every
 * listener: EventEmitter then throws and the process gets an unhandled
 * rejection (a crash by default), e.g. when a queue whose password Redis
 * refused is closed. Once nobody listens any more, such an error is dropped:
 * it concerns a connection that is being closed.
 */
function quiet<T extends object>(o: T): T {
  for (const key of ['connection', 'blockingConnection']) {
    const conn = (o as Record<string, unknown>)[key] as EventEmitter | undefined;
    if (!conn || typeof conn.emit !== 'function') continue;
    const emit = conn.emit;
    conn.emit = function (this: EventEmitter, event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'error' && this.listenerCount('error') === 0) return false;
      return emit.call(this, event, ...args);
    };
  }
  return o;
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
