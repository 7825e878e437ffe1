// Options of JobQueue and of add(), validated once, with their defaults.

import type { ErrorClasses } from '../errors/remote.js';
import { errorClasses } from '../pool/options.js';
import { Pool } from '../pool/pool.js';
import { type Duration, optionalDuration } from '../util/duration.js';
import { knownOptions } from '../util/known.js';
import { redactUrl } from '../util/redact.js';
import { checkNumber, checkOneOf, invalid, optionalBoolean } from '../util/validate.js';
import { type Backoff, type ResolvedBackoff, resolveBackoff } from './backoff.js';
import type { ListedJobState } from './job.js';
import { checkArgs } from './json.js';
import {
  type JobKeepOptions,
  type KeepOptions,
  type ResolvedKeep,
  type ResolvedKeepRule,
  resolveJobKeep,
  resolveKeep,
} from './keep.js';
import { checkGroup, type Limiter, LONE_SURROGATE, type ResolvedLimiter, resolveLimiter } from './limits.js';
import { checkRedisUrl } from './store/connection.js';
import type { CleanState } from './store/types.js';

/** Where jobs live: 'memory' (default, this process only) or a Redis server through BullMQ. */
export type StoreOption = 'memory' | { redis: string };

/** Options of `new JobQueue()`. */
export interface JobQueueOptions {
  /** the queue's name: every node and producer of one queue uses the same name */
  name: string;
  /** the pool that runs this queue's jobs here; without one (Redis store) this queue only adds and observes jobs */
  pool?: Pool<any>;
  /** 'memory' (default) or `{ redis: 'redis://host:6379' }` */
  store?: StoreOption;
  /** jobs run here at once (default: the pool's maxWorkers × concurrency) */
  concurrency?: number;
  /** Redis: how long a node's lock on a running job lasts (a duration: ms or '5s'); renewed every lockDuration/2 (default 5000) */
  lockDuration?: Duration;
  /** Redis: time between checks for jobs whose lock expired (their node died) (default lockDuration/2) */
  stalledInterval?: Duration;
  /** Redis: times a job may stall (its node died) and be re-queued before it fails (default 1) */
  maxStalledCount?: number;
  /** how long `close()` lets running jobs finish before it aborts them and hands them back (default '10s'; Infinity: wait for them) */
  grace?: Duration;
  /** Redis: how long `add()` waits for Redis before it rejects with ERR_QUEUE_UNREACHABLE (default '10s') */
  addTimeout?: Duration;
  /** defaults for every add() (attempts, backoff, priority) */
  defaultJobOptions?: Pick<AddOptions, 'attempts' | 'backoff' | 'priority'>;
  /**
   * your own error classes: a failed job's `cause` of one of them is rebuilt as
   * that class, as the pool does (default: the pool's `errorClasses`)
   */
  errorClasses?: readonly (abstract new (
    ...args: any[]
  ) => Error)[];
  /**
   * which finished jobs to keep, and how long a caller's jobId is remembered
   * (default `{ completed: { count: 10_000, age: '1d' }, failed: { count: 10_000, age: '7d' }, jobIds: '1d' }`)
   */
  keep?: KeepOptions;
  /** at most `max` jobs start in any span of `duration`, across every node (a queue that runs jobs: with a pool) */
  limiter?: Limiter;
  /** at most this many jobs of one group run at once, across every node (default Infinity; a queue with a pool) */
  groupConcurrency?: number;
  /** at most `max` jobs of one group start in any span of `duration`, across every node (a queue with a pool) */
  groupLimiter?: Limiter;
}

/** Options of `queue.jobs()`. */
export interface JobsOptions {
  state: ListedJobState;
  /** at most this many (default 100, at most 10 000) */
  limit?: number;
  /** skip this many first (default 0) */
  offset?: number;
}

/** Options of `queue.clean()`. */
export interface CleanOptions {
  state: CleanState;
  /** only jobs that finished (waiting, delayed: were added) longer ago than this (default 0: all) */
  olderThan?: Duration;
  /** at most this many (default Infinity) */
  limit?: number;
}

/** Options of `queue.removeWaiting()`. */
export interface RemoveWaitingOptions {
  /** remove the delayed jobs too (default false) */
  delayed?: boolean;
}

/** Options of `close()`. */
export interface CloseOptions {
  /** how long running jobs may still run before they are aborted and handed back (default: the queue's `grace`) */
  grace?: Duration;
}

/** What `close()` resolves with. */
export interface CloseResult {
  /** false when running jobs had to be aborted (and, memory store, when jobs that had not run were dropped) */
  clean: boolean;
}

/** Options of one `add()`. */
export interface AddOptions {
  /** runs in total before the job fails for good (default 1: no retry) */
  attempts?: number;
  /** wait before a retry: a duration, or `{ type: 'fixed' | 'exponential', delay, jitter? }` */
  backoff?: Backoff;
  /** higher runs first, as in Pool.run (default 0, from -1_048_575 to 1_048_575); equal priorities in order of arrival */
  priority?: number;
  /** how long before the job may start (a duration: ms or '30s') */
  delay?: Duration;
  /** your id for the job: adding an id that exists returns that job instead of a new one (idempotency) */
  jobId?: string;
  /** the job's group (a tenant, a customer): groups are served in turn, each within `groupConcurrency` */
  group?: string;
  /** which of this job's kind to keep once it finished: replaces the queue's `keep` rule for it */
  keep?: JobKeepOptions;
}

export interface ResolvedQueueOptions {
  name: string;
  pool: Pool<any> | undefined;
  redis: string | undefined;
  concurrency: number;
  lockDuration: number;
  stalledInterval: number;
  maxStalledCount: number;
  grace: number;
  addTimeout: number;
  defaults: { attempts: number; backoff: ResolvedBackoff; priority: number };
  errorClasses: ErrorClasses | undefined;
  keep: ResolvedKeep;
  limiter: ResolvedLimiter | undefined;
  groupConcurrency: number;
  groupLimiter: ResolvedLimiter | undefined;
}

export interface ResolvedAdd {
  attempts: number;
  backoff: ResolvedBackoff;
  priority: number;
  delay: number;
  jobId: string | undefined;
  group: string | undefined;
  keep: { completed: ResolvedKeepRule; failed: ResolvedKeepRule };
}

const QUEUE_OPTIONS: ReadonlySet<string> = new Set([
  'name',
  'pool',
  'store',
  'concurrency',
  'lockDuration',
  'stalledInterval',
  'maxStalledCount',
  'grace',
  'addTimeout',
  'defaultJobOptions',
  'errorClasses',
  'keep',
  'limiter',
  'groupConcurrency',
  'groupLimiter',
]);
const DEFAULT_JOB_OPTIONS: ReadonlySet<string> = new Set(['attempts', 'backoff', 'priority']);
const ADD_OPTIONS: ReadonlySet<string> = new Set([
  'attempts',
  'backoff',
  'priority',
  'delay',
  'jobId',
  'group',
  'keep',
]);
const STORE_OPTIONS: ReadonlySet<string> = new Set(['redis']);
const CLOSE_OPTIONS: ReadonlySet<string> = new Set(['grace']);

/** Validates `new JobQueue()` options and fills in the defaults (`node`: `work()` adds the pool later). */
export function resolveQueueOptions(options: JobQueueOptions, node = false): ResolvedQueueOptions {
  const o = knownOptions('options', options, QUEUE_OPTIONS);
  if (!o) throw invalid('options', 'an object with at least `name`', options);
  const name = checkQueueName('name', o.name);
  const pool = o.pool;
  if (pool !== undefined && !(pool instanceof Pool)) throw invalid('pool', 'a spindle Pool', pool);
  let redis: string | undefined;
  const store = o.store;
  if (store !== undefined && store !== 'memory') {
    if (typeof store === 'string') {
      // a URL given where { redis: url } belongs: show it only with its credentials masked
      throw invalid('store', "'memory' or { redis: 'redis://host:port' }", redactUrl(store));
    }
    const s = knownOptions('store', store, STORE_OPTIONS);
    redis = checkRedisUrl('store.redis', s?.redis);
  }
  if (redis === undefined && pool === undefined)
    throw invalid('pool', 'a spindle Pool (the memory store runs its jobs in this process)', pool);
  const capacity = pool ? pool.options.maxWorkers * pool.options.concurrency : 1;
  const concurrency =
    o.concurrency === undefined ? capacity : checkNumber('concurrency', o.concurrency, { min: 1, integer: true });
  const lockDuration = optionalDuration('lockDuration', o.lockDuration, 5000, { min: 100 });
  const d = knownOptions('defaultJobOptions', o.defaultJobOptions, DEFAULT_JOB_OPTIONS) ?? {};
  const defaults = {
    attempts:
      d.attempts === undefined ? 1 : checkNumber('defaultJobOptions.attempts', d.attempts, { min: 1, integer: true }),
    backoff: resolveBackoff('defaultJobOptions.backoff', d.backoff),
    priority: d.priority === undefined ? 0 : checkPriority('defaultJobOptions.priority', d.priority),
  };
  return {
    name,
    pool,
    redis,
    concurrency,
    lockDuration,
    stalledInterval: optionalDuration(
      'stalledInterval',
      o.stalledInterval,
      Math.max(50, Math.round(lockDuration / 2)),
      {
        min: 50,
      },
    ),
    maxStalledCount:
      o.maxStalledCount === undefined ? 1 : checkNumber('maxStalledCount', o.maxStalledCount, { integer: true }),
    grace: optionalDuration('grace', o.grace, 10_000, { infinity: true }),
    addTimeout: optionalDuration('addTimeout', o.addTimeout, 10_000, { min: 1 }),
    defaults,
    errorClasses: o.errorClasses === undefined ? pool?.options.errorClasses : errorClasses(o.errorClasses),
    keep: resolveKeep(o.keep),
    limiter: nodeOnly('limiter', node || pool !== undefined, resolveLimiter('limiter', o.limiter)),
    groupConcurrency:
      nodeOnly(
        'groupConcurrency',
        node || pool !== undefined,
        o.groupConcurrency === undefined
          ? undefined
          : checkNumber('groupConcurrency', o.groupConcurrency, { min: 1, integer: true, allowInfinity: true }),
      ) ?? Number.POSITIVE_INFINITY,
    groupLimiter: nodeOnly('groupLimiter', node || pool !== undefined, resolveLimiter('groupLimiter', o.groupLimiter)),
  };
}

/**
 * Limits are kept by the queues that run jobs: a producer (no pool) that
 * sets one would believe it applies, so it is refused.
 */
function nodeOnly<T>(option: string, runsJobs: boolean, value: T | undefined): T | undefined {
  if (value !== undefined && !runsJobs)
    throw invalid(option, 'set only on a queue that runs jobs (one with a `pool`; `work()` makes one)', value);
  return value;
}

const LISTED_STATES: readonly ListedJobState[] = ['waiting', 'paused', 'delayed', 'active', 'completed', 'failed'];
const CLEAN_STATES: readonly CleanState[] = ['completed', 'failed', 'waiting', 'delayed'];
const JOBS_OPTIONS: ReadonlySet<string> = new Set(['state', 'limit', 'offset']);
const CLEAN_OPTIONS: ReadonlySet<string> = new Set(['state', 'olderThan', 'limit']);
const REMOVE_WAITING_OPTIONS: ReadonlySet<string> = new Set(['delayed']);
/** A page of jobs() is at most this long: each job is one read. */
export const MAX_PAGE = 10_000;

export function resolveJobs(options: unknown): { state: ListedJobState; offset: number; limit: number } {
  const o = knownOptions('options', options, JOBS_OPTIONS);
  if (!o)
    throw invalid(
      'options',
      "{ state: 'waiting' | 'paused' | 'delayed' | 'active' | 'completed' | 'failed' }",
      options,
    );
  const state = checkOneOf('options.state', o.state, LISTED_STATES);
  const limit = o.limit === undefined ? 100 : checkNumber('options.limit', o.limit, { integer: true });
  if (limit > MAX_PAGE) throw invalid('options.limit', `an integer from 0 to ${MAX_PAGE}`, o.limit);
  const offset = o.offset === undefined ? 0 : checkNumber('options.offset', o.offset, { integer: true });
  return { state, offset, limit };
}

export function resolveClean(options: unknown): { state: CleanState; olderThan: number; limit: number } {
  const o = knownOptions('options', options, CLEAN_OPTIONS);
  if (!o) throw invalid('options', "{ state: 'completed' | 'failed' | 'waiting' | 'delayed', olderThan? }", options);
  return {
    state: checkOneOf('options.state', o.state, CLEAN_STATES),
    olderThan: optionalDuration('options.olderThan', o.olderThan, 0),
    limit:
      o.limit === undefined
        ? Number.POSITIVE_INFINITY
        : checkNumber('options.limit', o.limit, { integer: true, allowInfinity: true }),
  };
}

export function resolveRemoveWaiting(options: unknown): boolean {
  const o = knownOptions('options', options, REMOVE_WAITING_OPTIONS);
  return optionalBoolean('options.delayed', o?.delayed, false);
}

/** Validates the options of `close()`; `grace` falls back to the queue's. */
export function resolveClose(fallback: number, options: unknown): number {
  const o = knownOptions('options', options, CLOSE_OPTIONS);
  return optionalDuration('options.grace', o?.grace, fallback, { infinity: true });
}

/** A queue's name, the same on every node: a non-empty string without ':' (Redis key separator). */
export function checkQueueName(option: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.includes(':') || LONE_SURROGATE.test(value))
    throw invalid(option, "a non-empty string without ':' or half a surrogate pair", value);
  return value;
}

/** Job priorities span ±MAX_PRIORITY; the Redis store maps them onto BullMQ's 1..2^21 (lower first). */
export const MAX_PRIORITY = 1_048_575;

function checkPriority(option: string, value: unknown): number {
  const ok = typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= MAX_PRIORITY;
  if (!ok) throw invalid(option, `an integer from -${MAX_PRIORITY} to ${MAX_PRIORITY}`, value);
  return value as number;
}

/** Validates add()'s name, arguments and options. */
export function resolveAdd(q: ResolvedQueueOptions, name: unknown, args: unknown, options: unknown): ResolvedAdd {
  if (typeof name !== 'string' || name === '' || LONE_SURROGATE.test(name))
    throw invalid('name', 'a task name (a non-empty string without half a surrogate pair)', name);
  checkArgs(args);
  const o = knownOptions('options', options, ADD_OPTIONS) ?? {};
  const jobId = o.jobId;
  if (
    jobId !== undefined &&
    (typeof jobId !== 'string' ||
      jobId === '' ||
      /^\d+$/.test(jobId) ||
      jobId.includes(':') ||
      LONE_SURROGATE.test(jobId))
  )
    throw invalid(
      'options.jobId',
      "a non-empty string that is not all digits, without ':' or half a surrogate pair",
      jobId,
    );
  return {
    attempts:
      o.attempts === undefined
        ? q.defaults.attempts
        : checkNumber('options.attempts', o.attempts, { min: 1, integer: true }),
    backoff: o.backoff === undefined ? q.defaults.backoff : resolveBackoff('options.backoff', o.backoff),
    priority: o.priority === undefined ? q.defaults.priority : checkPriority('options.priority', o.priority),
    delay: optionalDuration('options.delay', o.delay, 0),
    jobId: jobId as string | undefined,
    group: o.group === undefined ? undefined : checkGroup('options.group', o.group),
    keep: resolveJobKeep('options.keep', o.keep, q.keep),
  };
}
