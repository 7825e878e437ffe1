// Retention: how many finished jobs a queue keeps, and for how long, and how
// long a caller's jobId is remembered after its job is gone (so that adding
// it again still adds nothing). Both stores apply the same rules.
import { type Duration, parseDuration } from '../util/duration.js';
import { knownOptions } from '../util/known.js';
import { checkNumber, invalid } from '../util/validate.js';

/** Which finished jobs of one kind to keep: at most `count`, none older than `age`. */
export interface KeepRule {
  /** at most this many (the newest); 0 removes each job as it finishes; Infinity: no limit */
  count?: number;
  /** none that finished longer ago than this (a duration; Infinity: no limit) */
  age?: Duration;
}

/** Retention of a queue (`new JobQueue({ keep })`). */
export interface KeepOptions {
  /** completed jobs (default `{ count: 10_000, age: '1d' }`) */
  completed?: KeepRule;
  /** failed jobs (default `{ count: 10_000, age: '7d' }`) */
  failed?: KeepRule;
  /** how long a caller's `jobId` is remembered after add(), so re-adding it adds nothing even once its job is gone (default '1d') */
  jobIds?: Duration;
}

/** Retention of one job (`add(name, args, { keep })`): overrides the queue's rule for its kind. */
export type JobKeepOptions = Pick<KeepOptions, 'completed' | 'failed'>;

/** A rule in whole units: `age` in seconds (Redis counts ages in seconds), Infinity for no limit. */
export interface ResolvedKeepRule {
  count: number;
  ageSeconds: number;
}

export interface ResolvedKeep {
  completed: ResolvedKeepRule;
  failed: ResolvedKeepRule;
  jobIds: number;
}

export const DEFAULT_KEEP: ResolvedKeep = {
  completed: { count: 10_000, ageSeconds: 86_400 },
  failed: { count: 10_000, ageSeconds: 7 * 86_400 },
  jobIds: 86_400_000,
};

const KEEP_OPTIONS: ReadonlySet<string> = new Set(['completed', 'failed', 'jobIds']);
const JOB_KEEP_OPTIONS: ReadonlySet<string> = new Set(['completed', 'failed']);
const RULE_OPTIONS: ReadonlySet<string> = new Set(['count', 'age']);

/** A rule you give replaces the default for its kind: a field left out sets no limit on that side. */
function resolveRule(option: string, value: unknown): ResolvedKeepRule {
  const o = knownOptions(option, value, RULE_OPTIONS);
  if (!o) throw invalid(option, '{ count?, age? }', value);
  const count =
    o.count === undefined
      ? Number.POSITIVE_INFINITY
      : checkNumber(`${option}.count`, o.count, { integer: true, allowInfinity: true });
  const ms = o.age === undefined ? Number.POSITIVE_INFINITY : parseDuration(`${option}.age`, o.age, { infinity: true });
  return { count, ageSeconds: ms === Number.POSITIVE_INFINITY ? ms : Math.ceil(ms / 1000) };
}

/** The queue's `keep`, over the defaults. */
export function resolveKeep(value: unknown): ResolvedKeep {
  const o = knownOptions('keep', value, KEEP_OPTIONS);
  if (!o) return DEFAULT_KEEP;
  return {
    completed: o.completed === undefined ? DEFAULT_KEEP.completed : resolveRule('keep.completed', o.completed),
    failed: o.failed === undefined ? DEFAULT_KEEP.failed : resolveRule('keep.failed', o.failed),
    jobIds: o.jobIds === undefined ? DEFAULT_KEEP.jobIds : parseDuration('keep.jobIds', o.jobIds, { min: 1 }),
  };
}

/** One job's `keep`, over the queue's. */
export function resolveJobKeep(option: string, value: unknown, queue: ResolvedKeep): Omit<ResolvedKeep, 'jobIds'> {
  const o = knownOptions(option, value, JOB_KEEP_OPTIONS);
  if (!o) return queue;
  return {
    completed: o.completed === undefined ? queue.completed : resolveRule(`${option}.completed`, o.completed),
    failed: o.failed === undefined ? queue.failed : resolveRule(`${option}.failed`, o.failed),
  };
}

/** BullMQ's removeOnComplete / removeOnFail for a rule (age in seconds). */
export function bullKeep(rule: ResolvedKeepRule): boolean | { count: number } | { age: number; count?: number } {
  const count = Number.isFinite(rule.count) ? rule.count : undefined;
  const age = Number.isFinite(rule.ageSeconds) ? rule.ageSeconds : undefined;
  if (count === 0) return true; // removed as it finishes
  if (count === undefined && age === undefined) return false; // kept forever
  if (age === undefined) return { count: count! };
  return count === undefined ? { age } : { age, count };
}
