// Rate limits and groups: the options, and the sliding window both stores
// apply (the Redis store runs the same rule in a Lua script, ./store/lua.ts).
import { type Duration, parseDuration } from '../util/duration.js';
import { knownOptions } from '../util/known.js';
import { checkNumber, invalid } from '../util/validate.js';

/** At most `max` jobs start in any span of `duration`. */
export interface Limiter {
  max: number;
  duration: Duration;
}

export interface ResolvedLimiter {
  max: number;
  duration: number;
}

const LIMITER_OPTIONS: ReadonlySet<string> = new Set(['max', 'duration']);

/** `{ max, duration }`: max a positive integer, duration at least 1 ms. */
export function resolveLimiter(option: string, value: unknown): ResolvedLimiter | undefined {
  if (value === undefined) return undefined;
  const o = knownOptions(option, value, LIMITER_OPTIONS);
  if (!o) throw invalid(option, '{ max, duration }', value);
  const max = checkNumber(`${option}.max`, o.max, { min: 1, integer: true });
  const duration = parseDuration(`${option}.duration`, o.duration, { min: 1 });
  return { max, duration };
}

/** Redis keys and names are UTF-8: a string with half a surrogate pair would arrive changed. */
export const LONE_SURROGATE = /\p{Cs}/u;

/** A group name: a non-empty string without ':' (it becomes part of Redis keys) or half a surrogate pair. */
export function checkGroup(option: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.includes(':') || LONE_SURROGATE.test(value))
    throw invalid(option, "a non-empty string without ':' or half a surrogate pair", value);
  return value;
}

/**
 * The sliding window: may a job start at `t`, given the start times
 * `starts` (ascending) already granted? Only if every span of `duration`
 * that contains `t` then holds at most `max` starts; i.e. no `max + 1`
 * consecutive starts, `t` among them, lie within less than `duration`.
 * Returns 0 when it may, else how long to wait (ms, at least 1).
 * Start times may arrive out of order (several nodes, each with its clock).
 */
export function windowWait(starts: readonly number[], t: number, { max, duration }: ResolvedLimiter): number {
  // where t would go
  let i = 0;
  while (i < starts.length && starts[i]! <= t) i++;
  // every run of max+1 consecutive entries that includes t: t at position k in the run
  let wait = 0;
  for (let k = 0; k <= max; k++) {
    const first = i - k; // index in `starts` of the run's first entry (t itself when k = 0)
    const last = i + (max - k) - 1; // index of the run's last entry (t itself when k = max)
    if (first < 0 || last >= starts.length) continue;
    const lo = k === 0 ? t : starts[first]!;
    const hi = k === max ? t : starts[last]!;
    if (hi - lo < duration) wait = Math.max(wait, lo + duration - t);
  }
  return wait > 0 ? Math.max(1, Math.ceil(wait)) : 0;
}
