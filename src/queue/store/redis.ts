// The Redis store, through BullMQ: the only files that import bullmq are
// this one and its helpers (./redis-*.ts). A BullMQ Worker fetches jobs and
// holds their locks; its processor only hands each job to the local spindle
// Pool, so this event loop stays free to renew locks however CPU-heavy the
// jobs are. Groups, rate limits and remembered jobIds live in spindle's own
// keys (./lua.ts); management calls are in ./redis-admin.ts.
import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type * as BullMQ from 'bullmq';
import {
  QueueAuthFailedError,
  QueueBullmqMissingError,
  QueueClosedError,
  QueueJobRemovedError,
  QueueUnreachableError,
  TaskNotFoundError,
} from '../../errors/index.js';
import { runWithMeta, type TaskMeta } from '../../observe/context.js';
import type { Pool } from '../../pool/pool.js';
import { backoffDelay } from '../backoff.js';
import { Job, type JobActions, type JobCounts, type JobRecord, type ListedJobState } from '../job.js';
import { bullKeep } from '../keep.js';
import type { QueueMetrics } from '../metrics.js';
import { type CloseResult, MAX_PRIORITY, type ResolvedAdd, type ResolvedQueueOptions } from '../options.js';
import { loadCron, nextRun, type ResolvedSpec, type ScheduleInfo } from '../schedule.js';
import { connectionOptions, MAX_RECONNECT_MS, safeUrl } from './connection.js';
import { encodeFailure, originalOf } from './failure.js';
import { IdleWait } from './idle.js';
import { RedisAdmin } from './redis-admin.js';
import { ADMIT_BATCH, type Admitted, type HeldJob, type ScriptClient, SpindleKeys } from './redis-book.js';
import { bullRecord, failedError, heldRecord, type JobData, stateOf } from './redis-records.js';
import type { CleanState, Emit, Store } from './types.js';

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

/**
 * BullMQ's repeat strategy for cron schedules: spindle's nextRun (the same
 * parser, with the daylight-saving rule), in the zone the schedule names.
 */
async function repeatStrategy(millis: number, opts: BullMQ.RepeatOptions): Promise<number | undefined> {
  if (!opts.pattern) return undefined;
  return nextRun(await loadCron(), opts.pattern, opts.tz ?? 'UTC', millis) ?? undefined;
}

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
  #book: Promise<SpindleKeys> | undefined;
  #admin!: RedisAdmin;
  readonly #running = new Map<string, Running>();
  /** the delay each retry got (the backoff strategy draws the jitter) */
  readonly #delays = new Map<string, number>();
  #handingBack = false;
  /** close() waits on this for the running jobs to end */
  readonly #idle = new IdleWait();
  /** result() calls waiting, by job id: one listener for all of them, whatever their number */
  readonly #waiters = new Map<string, Set<Waiter>>();
  /** ids whose job spindle held (a group's turn) at the last look: looked at again now and then */
  readonly #held = new Set<string>();
  #heldTimer: NodeJS.Timeout | undefined;
  /** the last refusal of our credentials; add() fails fast while it is recent */
  #auth: { error: QueueAuthFailedError; at: number } | undefined;
  /** add() calls waiting for Redis, told at once when it refuses the credentials */
  readonly #authWaiters = new Set<(error: QueueAuthFailedError) => void>();
  /** close() began: no new event reader, no new waiter */
  #closing = false;
  #closed = false;
  /** when each kind of error was last reported */
  readonly #lastReport = new Map<string, number>();
  /** node: its id among the queue's nodes, its heartbeat, and slots to free */
  readonly #nodeId = randomUUID();
  #tick: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #wake: { at: number; timer: NodeJS.Timeout } | undefined;
  readonly #toRelease = new Set<string>();
  #releasing = false;
  /** jobs this node handed to BullMQ: marked so in spindle's keys with its next script call */
  #handed: string[] = [];
  /** jobs this node runs at once (its pool may be scaled) */
  #concurrency: number;
  readonly #actions: JobActions;

  constructor(
    o: ResolvedQueueOptions,
    emit: Emit,
    readonly metrics: QueueMetrics,
  ) {
    this.#o = o;
    this.#emit = emit;
    this.#concurrency = o.concurrency;
    this.#url = safeUrl(o.redis!);
    this.#actions = {
      wait: (id) => this.#wait(id),
      retry: (id) => this.#admin.retry(id),
      remove: (id) => this.#admin.remove(id),
    };
    this.#ready = this.#open();
    this.#ready.catch(() => {}); // reported by add() and work()
  }

  /** Jobs run here at once from now on (the node's pool was scaled). */
  setConcurrency(n: number): void {
    if (this.#worker) this.#worker.concurrency = n;
    this.#concurrency = n; // the groups' window counts it from the next heartbeat
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
    this.#queue = quiet(new mq.Queue<JobData>(o.name, { connection, settings: { repeatStrategy } }));
    this.#queue.on('error', this.#onError);
    this.#connection = connection;
    this.#admin = new RedisAdmin({
      queue: this.#queue,
      mq,
      book: () => this.book(),
      classes: o.errorClasses,
      actions: this.#actions,
      handOver: (a) => this.#handOver(a),
      release: (ids) => this.#release(ids),
      handed: (ids) => this.#markHanded(ids),
      settleRemoved: (ids) => this.#settleRemoved(ids),
      keepIds: o.keep.jobIds,
    });
    if (o.pool) {
      this.#worker = this.#startWorker(mq, o.pool, connection);
      this.#heartbeat();
    }
  }

  /** spindle's own keys, on the queue's connection (waits for it). */
  book(): Promise<SpindleKeys> {
    this.#book ??= this.#ready.then(async () => {
      const client = (await this.#queue.client) as unknown as ScriptClient;
      return new SpindleKeys(client, this.#o.name);
    });
    return this.#book;
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
    // a removed job never ends: its result() is told so
    events.on('removed', ({ jobId }) => this.#settle(jobId, false, new QueueJobRemovedError(jobId)));
    events.on('cleaned', () => {
      for (const id of this.#waiters.keys()) void this.#look(id);
    });
    await events.waitUntilReady();
    return events;
  }

  #startWorker(mq: typeof BullMQ, pool: Pool<any>, connection: object): BullMQ.Worker<JobData> {
    const o = this.#o;
    const limited = o.limiter !== undefined || o.groupLimiter !== undefined;
    const processor = async (job: BullMQ.Job<JobData>, token?: string): Promise<unknown> => {
      const group = typeof job.data.group === 'string' ? job.data.group : undefined;
      // the limiters decide from the job's start time (processedOn), the time getJob() shows
      if (o.limiter || (group !== undefined && (limited || job.attemptsMade > 0))) {
        const book = await this.book();
        const t = job.processedOn ?? Date.now();
        const [wait, which] = (await book.call(
          'spindleStart',
          job.id!,
          group ?? '',
          t,
          `${job.id}\u0000${token ?? t}`,
          o.limiter?.max ?? 0,
          o.limiter?.duration ?? 0,
          group === undefined ? 0 : (o.groupLimiter?.max ?? 0),
          o.groupLimiter?.duration ?? 0,
        )) as [number, number];
        if (wait > 0) {
          if (which === 1) {
            // the queue is at its limit: every node waits (BullMQ's limiter key), the job goes back first in line
            await this.#queue.rateLimit(wait);
            throw new mq.RateLimitError();
          }
          // its group is at its limit: only this job waits, other groups go on
          await job.moveToDelayed(Date.now() + wait, token);
          throw new mq.DelayedError();
        }
      }
      const abort = new AbortController();
      this.#running.set(job.id!, { abort, job, token });
      const started = performance.now();
      // ready to run: when added, or when its delay (or a retry's backoff) ended
      const readyAt = Math.max(job.timestamp + (job.delay ?? 0), job.finishedOn ?? 0);
      this.metrics.wait.observe(Math.max(0, Date.now() - readyAt));
      try {
        return await runWithMeta(job.data.meta, () =>
          pool.run(job.name, job.data.args, {
            label: job.id!,
            signal: abort.signal,
            onProgress: (p: unknown) => {
              job.updateProgress(p as BullMQ.JobProgress).catch(this.#onError);
            },
          }),
        );
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
        this.metrics.run.observe(performance.now() - started);
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
        // spindle's limiter keeps its own log (./lua.ts); BullMQ's key, set
        // by rateLimit() when the log is full, then holds every node back
        ...(o.limiter ? { limiter: { max: Number.MAX_SAFE_INTEGER, duration: o.limiter.duration } } : {}),
        settings: {
          repeatStrategy,
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
    worker.on('completed', (job) => {
      if (job?.id && typeof job.data?.group === 'string') this.#release([job.id]);
    });
    worker.on('failed', (job, err) => {
      if (!job?.id) return;
      const delay = this.#delays.get(job.id) ?? 0;
      this.#delays.delete(job.id);
      const grouped = typeof job.data?.group === 'string';
      if (err instanceof mq.UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)) {
        if (grouped) this.#release([job.id]);
        return;
      }
      // a retry keeps its group slot, but waits outside the window of jobs handed to BullMQ
      if (grouped) void this.book().then((b) => b.call('spindleBackoff', job.id!).catch(() => {}));
      const error = originalOf(err) as Error;
      this.metrics.retries++;
      this.#emit('retrying', { jobId: job.id, error, attemptsMade: job.attemptsMade, delay });
    });
    return worker;
  }

  /** The node's heartbeat: says it is alive (its capacity sizes the groups' window), admits, checks slots. */
  #heartbeat(): void {
    const beat = (): void => {
      if (this.#closing) return;
      this.#ticking = this.#beat()
        .catch(() => {}) // Redis away: reported by the connections; the next beat tries again
        .finally(() => {
          this.#ticking = undefined;
          if (!this.#closing) this.#tick = setTimeout(beat, this.#o.stalledInterval).unref();
        });
    };
    beat();
  }

  async #beat(): Promise<void> {
    const o = this.#o;
    const book = await this.book();
    const now = Date.now();
    const reply = await book.call(
      'spindleRegister',
      now,
      this.#nodeId,
      this.#concurrency,
      now + 3 * o.stalledInterval + 2000,
      Number.isFinite(o.groupConcurrency) ? o.groupConcurrency : 0,
      o.groupLimiter?.max ?? 0,
      o.groupLimiter?.duration ?? 0,
      this.#checkMs(),
      ADMIT_BATCH,
      ...this.#takeHanded(),
    );
    await this.#handOver(SpindleKeys.admitted(reply));
    await this.#admin.reap(now);
  }

  /** How often a slot holder is checked: a slot whose end its node never recorded frees within this. */
  #checkMs(): number {
    return Math.max(1000, 2 * this.#o.lockDuration);
  }

  /**
   * Hands admitted group jobs to BullMQ (their ids make it idempotent: a job
   * handed twice is added once). Something that fails here is done again by
   * the slot check (spindle keeps the job's JSON until BullMQ has it).
   */
  async #handOver(a: Admitted): Promise<void> {
    this.#wakeAt(a.wake);
    const fresh: { name: string; data: JobData; opts: BullMQ.JobsOptions }[] = [];
    const handed: string[] = [];
    for (const { id, held } of a.jobs) {
      if (!held) continue;
      handed.push(id);
      if (held.retry) await this.#retryHeld(id, held);
      else fresh.push({ name: held.name, data: held.data as unknown as JobData, opts: { ...held.opts, jobId: id } });
    }
    // one job (the usual case: one turn per finished job) without addBulk's MULTI/EXEC
    if (fresh.length === 1) await this.#queue.add(fresh[0]!.name, fresh[0]!.data, fresh[0]!.opts);
    else if (fresh.length > 1) await this.#queue.addBulk(fresh);
    this.#markHanded(handed);
  }

  /**
   * BullMQ has these held jobs now. A node says so with its next script call
   * (one per finished job, or its heartbeat): no round trip of its own; a
   * producer says so at once, as it may make no other call for a while.
   */
  #markHanded(ids: string[]): void {
    if (ids.length === 0) return;
    if (this.#worker && !this.#closing) {
      this.#handed.push(...ids);
      return;
    }
    void this.book()
      .then((b) => b.call('spindleHanded', ...ids))
      .catch(() => {});
  }

  /** The marks to send with a script call (taken: sent once). */
  #takeHanded(): string[] {
    const ids = this.#handed;
    this.#handed = [];
    return ids;
  }

  /** A failed group job whose turn came: BullMQ runs it again in place, with fresh attempts. */
  async #retryHeld(id: string, held: HeldJob): Promise<void> {
    const bj = await this.#mq.Job.fromId<JobData>(this.#queue, id);
    if (!bj) {
      await this.#queue.add(held.name, held.data as unknown as JobData, { ...held.opts, jobId: id });
      return;
    }
    await bj.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }).catch(() => {
      // not failed any more (retried by another process): nothing to do
    });
  }

  /**
   * Admit again when a delayed group job or a limited group is due. A
   * producer does so too: the nodes would only see it at their next
   * heartbeat (stalledInterval later); admitting is one atomic script, so
   * producers and nodes may race for it.
   */
  #wakeAt(at: number): void {
    if (this.#closing || at <= 0) return;
    if (this.#wake && this.#wake.at <= at) return;
    if (this.#wake) clearTimeout(this.#wake.timer);
    const timer = setTimeout(
      () => {
        this.#wake = undefined;
        void this.book()
          .then(async (b) =>
            this.#handOver(
              SpindleKeys.admitted(await b.call('spindleAdmit', Date.now(), ADMIT_BATCH, ...this.#takeHanded())),
            ),
          )
          .catch(() => {});
      },
      Math.min(Math.max(0, at - Date.now()), 60_000),
    ).unref();
    this.#wake = { at, timer };
  }

  /** Group jobs ended for good (or are gone): their slots free, in one script per moment. */
  #release(ids: string[]): Promise<void> {
    for (const id of ids) this.#toRelease.add(id);
    if (this.#releasing) return Promise.resolve();
    this.#releasing = true;
    return new Promise<void>((resolve) => {
      setImmediate(() => {
        const batch = [...this.#toRelease];
        this.#toRelease.clear();
        this.#releasing = false;
        this.book()
          .then(async (b) => {
            const handed = this.#takeHanded();
            const reply = await b.call('spindleRelease', Date.now(), ADMIT_BATCH, handed.length, ...handed, ...batch);
            await this.#handOver(SpindleKeys.admitted(reply));
          })
          .catch(() => {}) // the slot check frees them later
          .finally(resolve);
      });
    });
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

  /** Runs `fn` within addTimeout, failing at once when Redis refuses the credentials. */
  async #bounded<T>(what: string, fn: (bounded: <U>(p: Promise<U>) => Promise<U>) => Promise<T>): Promise<T> {
    await this.#ready;
    // Redis refused our credentials at its last attempt (they come every few
    // seconds while it does): fail now instead of waiting out addTimeout
    const auth = this.#auth;
    if (auth && Date.now() - auth.at <= MAX_RECONNECT_MS + 1000) throw auth.error;
    let tell!: (error: QueueAuthFailedError) => void;
    const refused = new Promise<never>((_, reject) => (tell = reject));
    refused.catch(() => {});
    this.#authWaiters.add(tell);
    const limit = this.#o.addTimeout;
    const until = Date.now() + limit;
    // one deadline for every round trip, which a refusal of our credentials ends early
    const bounded = <U>(p: Promise<U>): Promise<U> =>
      deadline(
        Promise.race([p, refused]),
        Math.max(1, until - Date.now()),
        () => new QueueUnreachableError(this.#url, `${what} got no answer within ${limit} ms`),
      );
    try {
      return await fn(bounded);
    } finally {
      this.#authWaiters.delete(tell);
    }
  }

  add(name: string, args: unknown[], opts: ResolvedAdd, meta?: TaskMeta): Promise<Job> {
    return this.#bounded('add()', async (bounded) => {
      // a watched queue must see the events of the job it is about to add
      if (this.#eventsReady) await bounded(this.#eventsReady);
      return new Job(await this.#add(name, args, opts, bounded, meta), this.#actions);
    });
  }

  async #add(
    name: string,
    args: unknown[],
    opts: ResolvedAdd,
    bounded: <U>(p: Promise<U>) => Promise<U>,
    meta?: TaskMeta,
  ): Promise<JobRecord> {
    const now = Date.now();
    const data: JobData = {
      args,
      backoff: opts.backoff,
      ...(opts.group === undefined ? {} : { group: opts.group }),
      ...(meta === undefined ? {} : { meta }),
    };
    const bullOpts: BullMQ.JobsOptions = {
      attempts: opts.attempts,
      backoff: { type: 'spindle' },
      // BullMQ runs lower numbers first and unprioritized jobs before all
      // others; every job gets a place on its 1..2^21 scale instead
      priority: MAX_PRIORITY + 1 - opts.priority,
      removeOnComplete: bullKeep(opts.keep.completed),
      removeOnFail: bullKeep(opts.keep.failed),
    };
    const id = opts.jobId;
    if (id !== undefined) {
      const existing = await bounded(this.#admin.find(id, now, opts.group !== undefined));
      if (existing) return existing;
    }
    if (opts.group !== undefined) {
      const book = await bounded(this.book());
      const held: HeldJob = {
        name,
        data: data as unknown as Record<string, unknown>,
        opts: { ...bullOpts, timestamp: now },
      };
      const reply = (await bounded(
        book.call(
          'spindleEnqueue',
          now,
          id ?? '',
          JSON.stringify(held),
          MAX_PRIORITY - opts.priority,
          opts.group,
          opts.delay > 0 ? now + opts.delay : 0,
          id === undefined ? 0 : 1,
          ADMIT_BATCH,
          this.#o.keep.jobIds,
        ),
      )) as unknown[];
      // another producer added the same jobId meanwhile
      if (reply[0] === 'dup')
        return (await bounded(this.#admin.find(id!, now, true))) ?? this.#removed(id!, name, args);
      await this.#handOver(SpindleKeys.admitted(reply, 1)).catch(() => {}); // the slot check hands them over later
      return heldRecord(String(reply[0]), held, opts.delay > 0 ? 'delayed' : 'waiting');
    }
    const bj = await bounded(this.#queue.add(name, data, { ...bullOpts, jobId: id, delay: opts.delay || undefined }));
    if (id === undefined) return bullRecord(bj, opts.delay > 0 ? 'delayed' : 'waiting', this.#o.errorClasses);
    // an existing jobId adds nothing: report the job that Redis holds
    const [stored] = await bounded(
      Promise.all([
        this.#mq.Job.fromId<JobData>(this.#queue, id),
        this.book().then((b) => b.call('spindleRemember', now, this.#o.keep.jobIds, id)),
      ]),
    );
    if (!stored) return bullRecord(bj, opts.delay > 0 ? 'delayed' : 'waiting', this.#o.errorClasses);
    const fresh = stored.timestamp === bj.timestamp && stored.name === bj.name;
    const state = fresh
      ? opts.delay > 0
        ? 'delayed'
        : 'waiting'
      : (stateOf(await bounded(this.#queue.getJobState(id)), false) ?? 'waiting');
    return bullRecord(stored, state, this.#o.errorClasses);
  }

  /** The job add() gives for a remembered jobId whose job is gone. */
  #removed(id: string, name: string, args: unknown[]): JobRecord {
    return this.#admin.removedRecord(id, name, args);
  }

  /**
   * result(): one entry in #waiters, settled by the event reader's single
   * 'completed'/'failed'/'removed' listener (BullMQ's waitUntilFinished adds
   * listeners per call, and more than ten at once print
   * MaxListenersExceededWarning), then one look at the job in case it
   * finished before we listened.
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
      void this.#look(id, waiter);
    });
  }

  /** Looks at a job that result() waits for: settles it when it ended, or is gone. */
  async #look(id: string, one?: Waiter): Promise<void> {
    let found: Awaited<ReturnType<RedisAdmin['state']>>;
    try {
      found = await this.#admin.state(id);
    } catch {
      return; // Redis unreachable for now: the job's end still arrives as an event
    }
    this.#held.delete(id);
    const { state, bj } = found;
    if (state === 'completed') this.#settle(id, true, bj?.returnvalue, one);
    else if (state === 'failed')
      this.#settle(id, false, failedError(id, bj, bj?.failedReason ?? '', this.#o.errorClasses), one);
    else if (state === null) this.#settle(id, false, new QueueJobRemovedError(id), one);
    else if (!bj) this.#holdWatch(id);
  }

  /**
   * A group job spindle still holds sends no event when it is removed from
   * another process: its waiters look at it again every slot check.
   */
  #holdWatch(id: string): void {
    this.#held.add(id);
    if (this.#heldTimer || this.#closing) return;
    this.#heldTimer = setTimeout(() => {
      this.#heldTimer = undefined;
      const ids = [...this.#held].filter((i) => this.#waiters.has(i)).slice(0, 200);
      this.#held.clear();
      for (const i of ids) void this.#look(i);
    }, this.#checkMs()).unref();
  }

  #settleRemoved(ids: string[]): void {
    for (const id of ids) this.#settle(id, false, new QueueJobRemovedError(id));
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
  async #failure(id: string, reason: string) {
    let bj: BullMQ.Job<JobData> | undefined;
    try {
      bj = await this.#mq.Job.fromId<JobData>(this.#queue, id);
    } catch {
      // Redis unreachable: report what the event said
    }
    return failedError(id, bj, reason, this.#o.errorClasses);
  }

  getJob(id: string): Promise<Job | null> {
    return this.#bounded('getJob()', (bounded) => bounded(this.#admin.getJob(id)));
  }

  counts(): Promise<JobCounts> {
    return this.#bounded('counts()', (bounded) => bounded(this.#admin.counts()));
  }

  jobs(state: ListedJobState, offset: number, limit: number): Promise<Job[]> {
    return this.#bounded('jobs()', (bounded) => bounded(this.#admin.jobs(state, offset, limit)));
  }

  pause(): Promise<void> {
    return this.#bounded('pause()', (bounded) => bounded(this.#queue.pause()));
  }

  resume(): Promise<void> {
    return this.#bounded('resume()', (bounded) => bounded(this.#queue.resume()));
  }

  isPaused(): Promise<boolean> {
    return this.#bounded('isPaused()', (bounded) => bounded(this.#queue.isPaused()));
  }

  removeWaiting(delayed: boolean): Promise<void> {
    return this.#bounded('removeWaiting()', (bounded) => bounded(this.#admin.removeWaiting(delayed)));
  }

  clean(state: CleanState, olderThan: number, limit: number): Promise<number> {
    return this.#bounded('clean()', (bounded) => bounded(this.#admin.clean(state, olderThan, limit)));
  }

  schedule(key: string, name: string, args: unknown[], spec: ResolvedSpec, opts: ResolvedAdd): Promise<ScheduleInfo> {
    return this.#bounded('schedule()', (bounded) => bounded(this.#admin.schedule(key, name, args, spec, opts)));
  }

  unschedule(key: string): Promise<boolean> {
    return this.#bounded('unschedule()', (bounded) => bounded(this.#queue.removeJobScheduler(key)));
  }

  schedules(): Promise<ScheduleInfo[]> {
    return this.#bounded('schedules()', (bounded) => bounded(this.#admin.schedules()));
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
    clearTimeout(this.#tick);
    clearTimeout(this.#heldTimer);
    if (this.#wake) clearTimeout(this.#wake.timer);
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
      // a heartbeat waiting for a Redis that refuses us would never end
      if (this.#ticking) await deadline(this.#ticking, CLOSE_MS, () => new Error('heartbeat')).catch(() => {});
      // slots freed by the last jobs, and this node's capacity out of the window
      const leave = this.book().then(async (b) => {
        const handed = this.#takeHanded();
        await b.call('spindleRelease', Date.now(), 0, handed.length, ...handed, ...this.#toRelease);
        await b.call('spindleUnregister', this.#nodeId);
      });
      await deadline(leave, CLOSE_MS, () => new Error('unregister timed out')).catch(() => {});
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
