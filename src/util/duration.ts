// The one duration parser: every duration option of every module, every CLI
// flag, queue backoff and delay go through it (docs/conventions.md, rule 3).
import { invalid } from './validate.js';

/** A duration: milliseconds (a number), or a string with a unit: '500ms', '10s', '2m', '1h', '1d'. */
export type Duration = number | string;

/**
 * The longest wait Node's timers can do: 2^31−1 ms (about 24.8 days). Past it,
 * `setTimeout` fires after 1 ms instead, with only a warning; so it is refused.
 */
export const MAX_DURATION = 2 ** 31 - 1;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;
const EXAMPLES = "'500ms', '10s', '2m', '1h' or '1d'";

/** What a duration option accepts besides 0 … MAX_DURATION ms. */
export interface DurationRule {
  /** The smallest value allowed (default 0). */
  min?: number;
  /** `Infinity` means "never" for this option (default false). */
  infinity?: boolean;
}

function expected(rule: DurationRule, cli: boolean): string {
  const min = rule.min ?? 0;
  const what = cli
    ? `a duration with a unit, such as ${EXAMPLES.replaceAll("'", '')}`
    : `a duration: milliseconds (a number) or a string such as ${EXAMPLES}`;
  const range = min > 0 ? `, at least ${min} ms` : '';
  const never = rule.infinity ? (cli ? '' : ', or Infinity for never') : '';
  return `${what}${range}${never}`;
}

function check(option: string, ms: number, raw: unknown, rule: DurationRule, cli: boolean): number {
  if (ms === Number.POSITIVE_INFINITY && rule.infinity) return ms;
  if (ms > MAX_DURATION) {
    throw invalid(
      option,
      `a duration of at most ${MAX_DURATION} ms (about 24.8 days, the longest Node's timers can wait)` +
        (rule.infinity && !cli ? '; use Infinity for never' : ''),
      raw,
    );
  }
  if (!(ms >= (rule.min ?? 0))) throw invalid(option, expected(rule, cli), raw);
  return ms;
}

/**
 * Milliseconds from a duration option: a number of ms, or a string with a
 * unit ('1.5s' is 1500). Refuses anything else, negatives, values under
 * `rule.min`, and anything past MAX_DURATION, with ERR_INVALID_OPTION naming
 * `option`. `Infinity` passes only where `rule.infinity` says it means never.
 */
export function parseDuration(option: string, value: unknown, rule: DurationRule = {}): number {
  if (typeof value === 'number') {
    if (!Number.isNaN(value)) return check(option, value, value, rule, false);
  } else if (typeof value === 'string') {
    const m = PATTERN.exec(value);
    if (m) return check(option, Math.round(Number(m[1]) * UNITS[m[2]!]!), value, rule, false);
  }
  throw invalid(option, expected(rule, false), value);
}

/** Like `parseDuration`, but `undefined` gives the fallback. */
export function optionalDuration(option: string, value: unknown, fallback: number, rule: DurationRule = {}): number {
  return value === undefined ? fallback : parseDuration(option, value, rule);
}

/**
 * A duration given on the command line: the unit is required (`--grace 10` could
 * mean 10 ms or 10 s), except for a plain `0`.
 */
export function parseDurationFlag(flag: string, text: string, rule: DurationRule = {}): number {
  if (text.trim() === '0') return check(flag, 0, text, rule, true);
  const m = PATTERN.exec(text);
  if (!m) throw invalid(flag, expected(rule, true), text);
  return check(flag, Math.round(Number(m[1]) * UNITS[m[2]!]!), text, rule, true);
}

/** Renders milliseconds the way people write them: 1500 → '1.5s', 250 → '250ms'. */
export function formatDuration(ms: number): string {
  if (ms === Number.POSITIVE_INFINITY) return 'never';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  if (ms < 3_600_000) return `${Number((ms / 60_000).toFixed(1))}m`;
  if (ms < 86_400_000) return `${Number((ms / 3_600_000).toFixed(1))}h`;
  return `${Number((ms / 86_400_000).toFixed(1))}d`;
}
