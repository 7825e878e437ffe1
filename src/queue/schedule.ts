// Repeating jobs: the options of schedule(), and when each run is due. Cron
// expressions are parsed by cron-parser (the parser BullMQ's job schedulers
// use; the Redis store hands BullMQ the same `nextRun` as its repeat
// strategy, the memory store calls it itself). What spindle adds is the
// daylight-saving rule, which cron-parser gets right only when it is asked
// from the previous run: asked from a moment inside a transition (a redeploy,
// a late run) it runs a daily job twice when clocks go back and skips it when
// they go forward. `nextRun` answers the same from any moment.
import type * as CronParser from 'cron-parser';
import { InvalidOptionError } from '../errors/index.js';
import { type Duration, parseDuration } from '../util/duration.js';
import { knownOptions } from '../util/known.js';
import { invalid } from '../util/validate.js';
import type { Backoff } from './backoff.js';
import type { JobKeepOptions } from './keep.js';
import { LONE_SURROGATE } from './limits.js';

/** Options of `queue.schedule()`: when (`cron` with `tz`, or `every`), and the options of each job. */
export interface ScheduleOptions {
  /** a cron expression: 5 fields (minute first) or 6 (second first), or '@hourly', '@daily', '@weekly', '@monthly', '@yearly' */
  cron?: string;
  /** the IANA time zone the cron expression is read in (default 'UTC') */
  tz?: string;
  /** a fixed interval instead of `cron` (a duration: '5m'); the first run is at once */
  every?: Duration;
  attempts?: number;
  backoff?: Backoff;
  priority?: number;
  keep?: JobKeepOptions;
}

export interface ResolvedSpec {
  cron: string | null;
  tz: string | null;
  every: number | null;
}

/** A schedule, as `schedules()` lists it. */
export interface ScheduleInfo {
  key: string;
  /** the task each run calls */
  name: string;
  args: unknown[];
  cron: string | null;
  tz: string | null;
  every: number | null;
  /** when the next run is due (ms since the epoch), or null when none is pending */
  next: number | null;
}

export const SCHEDULE_OPTIONS: ReadonlySet<string> = new Set([
  'cron',
  'tz',
  'every',
  'attempts',
  'backoff',
  'priority',
  'keep',
]);

const ALIASES = new Set(['@hourly', '@daily', '@weekly', '@monthly', '@yearly']);

type Parser = typeof CronParser;
let parser: Promise<Parser> | undefined;

/** cron-parser, loaded on first use (a dependency of spindle, and of bullmq). */
export function loadCron(): Promise<Parser> {
  parser ??= import('cron-parser').then((m) => ((m as unknown as { default?: Parser }).default ?? m) as Parser);
  return parser;
}

/** A schedule's key: a non-empty string without ':' (it becomes part of job ids and Redis keys). */
export function checkScheduleKey(value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.includes(':') || LONE_SURROGATE.test(value))
    throw invalid('key', "a non-empty string without ':' or half a surrogate pair", value);
  return value;
}

/** An IANA time zone Intl knows ('Europe/Berlin', 'UTC'). */
function checkTimeZone(option: string, value: unknown): string {
  if (typeof value === 'string' && value !== '') {
    try {
      return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
    } catch {
      // RangeError: an unknown time zone
    }
  }
  throw invalid(option, "an IANA time zone such as 'Europe/Berlin' or 'UTC'", value);
}

/** Validates when a schedule runs (`cron` + `tz`, or `every`); cron-parser checks the expression. */
export async function resolveSpec(options: unknown): Promise<{ spec: ResolvedSpec; rest: Record<string, unknown> }> {
  const o = knownOptions('options', options, SCHEDULE_OPTIONS);
  if (!o) throw invalid('options', "{ cron: '0 * * * *' } or { every: '5m' }", options);
  const { cron, tz, every, ...rest } = o;
  if ((cron === undefined) === (every === undefined))
    throw invalid('options.cron', 'set, or `options.every` set instead (one of the two)', cron);
  if (every !== undefined) {
    if (tz !== undefined) throw invalid('options.tz', 'left out with `every` (it applies to `cron`)', tz);
    return { spec: { cron: null, tz: null, every: parseDuration('options.every', every, { min: 1 }) }, rest };
  }
  const zone = tz === undefined ? 'UTC' : checkTimeZone('options.tz', tz);
  if (typeof cron !== 'string') throw invalid('options.cron', 'a cron expression (a string)', cron);
  const text = cron.trim().replace(/\s+/g, ' ');
  const fields = text.split(' ').length;
  if (!ALIASES.has(text) && fields !== 5 && fields !== 6)
    throw invalid('options.cron', 'a cron expression of 5 fields, or 6 with seconds first', cron);
  const cp = await loadCron();
  try {
    const expr = cp.parseExpression(text, { tz: zone, currentDate: new Date() });
    expr.next(); // an expression that never fires throws here
  } catch (err) {
    const e = invalid('options.cron', 'a valid cron expression', cron);
    const why = err instanceof Error ? err.message : String(err);
    throw new InvalidOptionError('options.cron', `${e.message}: ${why}`);
  }
  return { spec: { cron: text, tz: zone, every: null }, rest };
}

const HOUR = 3_600_000;
const formats = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at instant `t`, in ms (wall clock minus UTC). */
export function offsetAt(tz: string, t: number): number {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const { type, value } of f.formatToParts(t)) if (type !== 'literal') p[type] = Number(value);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return wall - Math.floor(t / 1000) * 1000;
}

/** The first instant in (lo, hi] whose offset differs from `lo`'s (to the millisecond). */
function transition(tz: string, lo: number, hi: number): number {
  const before = offsetAt(tz, lo);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(tz, mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** True when the wall time at `t` already occurred earlier (clocks went back less than 3 h before `t`). */
function repeatedWallTime(tz: string, t: number): boolean {
  const now = offsetAt(tz, t);
  const earlier = offsetAt(tz, t - 3 * HOUR);
  if (earlier <= now) return false;
  return offsetAt(tz, t - (earlier - now)) === earlier;
}

/** Whether a cron expression names all 24 hours (it then runs in real time), by expression. */
const allHours = new Map<string, boolean>();

/** Guards the loops below: a pattern that fires every second within one hour needs 3600 steps. */
const MAX_STEPS = 10_000;

/**
 * When a cron schedule runs next after `from` (ms), or null when never.
 * A pattern with all 24 hours (every minute, hourly...) runs in real time,
 * as cron-parser computes it. A pattern with fixed hours (a daily job) runs
 * once per matching wall-clock time: a time that clocks skip (going
 * forward) runs right after the jump, shifted by it; a time that occurs
 * twice (going back) runs at its first occurrence only.
 */
export function nextRun(cp: Parser, cron: string, tz: string, from: number): number | null {
  const after = (t: number): number | null => {
    try {
      return cp
        .parseExpression(cron, { tz, currentDate: new Date(t) })
        .next()
        .getTime();
    } catch {
      return null; // no later run
    }
  };
  let next = after(from);
  if (next === null) return null;
  let realTime = allHours.get(cron);
  if (realTime === undefined) {
    realTime = cp.parseExpression(cron).fields.hour.length === 24;
    if (allHours.size > 1000) allHours.clear();
    allHours.set(cron, realTime);
  }
  if (realTime) return next;
  // clocks went forward in the last hours: asked from after the jump,
  // cron-parser misses the runs the jump shifted; walk from just before it
  if (offsetAt(tz, from - 3 * HOUR) < offsetAt(tz, from)) {
    const jump = transition(tz, from - 3 * HOUR, from);
    let t = after(jump - 1);
    for (let i = 0; t !== null && t <= from && i < MAX_STEPS; i++) t = after(t);
    if (t !== null && t > from && t < next) next = t;
  }
  // clocks went back: a wall time that occurs twice runs at its first occurrence
  for (let i = 0; next !== null && repeatedWallTime(tz, next) && i < MAX_STEPS; i++) next = after(next);
  return next;
}

/**
 * When an `every` schedule runs next, as BullMQ's job schedulers compute it:
 * the first run at once, then every `every` ms; runs missed while nothing
 * ran are skipped, keeping the first run's phase.
 */
export function nextEvery(prev: number | null, every: number, now: number, phase: number): number {
  if (prev === null) return now;
  const next = prev + every;
  if (next >= now) return next;
  const aligned = Math.floor(now / every) * every + phase;
  return aligned <= now ? aligned + every : aligned;
}

/** The id of the job a schedule adds for the run due at `millis` (the same as BullMQ's). */
export function runJobId(key: string, millis: number): string {
  return `repeat:${key}:${millis}`;
}
