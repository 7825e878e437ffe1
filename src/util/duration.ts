import { invalid } from './validate.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/**
 * Milliseconds from a duration such as `10s`, `500ms`, `1.5m` or `2h`; a number
 * is taken as milliseconds already. A bare numeric string is refused because
 * `--grace 10` is ambiguous (10 ms or 10 s?).
 */
export function parseDuration(option: string, value: unknown): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    const m = PATTERN.exec(value.trim());
    if (m) return Math.round(Number(m[1]) * UNITS[m[2]!]!);
  }
  throw invalid(option, "a duration such as '10s', '500ms', '2m' or '1h' (or a number of milliseconds)", value);
}

/** Like `parseDuration` but `undefined` returns the fallback. */
export function optionalDuration(option: string, value: unknown, fallback: number): number {
  return value === undefined ? fallback : parseDuration(option, value);
}

/** Renders milliseconds the way people write them: 1500 → '1.5s', 250 → '250ms'. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  return `${Number((ms / 60_000).toFixed(1))}m`;
}
