// How long a failed job waits before its next attempt.

import { type Duration, MAX_DURATION, parseDuration } from '../util/duration.js';
import { knownOptions } from '../util/known.js';
import { checkNumber, checkOneOf, invalid } from '../util/validate.js';

/**
 * `fixed`: `delay` ms every time. `exponential`: `delay * 2^(n-1)` ms before
 * attempt n+1. `jitter` (0..1) takes up to that fraction off at random, so
 * many jobs that failed together do not retry together. A number is
 * shorthand for `{ type: 'fixed', delay }`.
 */
export type Backoff = Duration | { type: 'fixed' | 'exponential'; delay: Duration; jitter?: number };

export interface ResolvedBackoff {
  type: 'fixed' | 'exponential';
  delay: number;
  jitter: number;
}

const BACKOFF_OPTIONS: ReadonlySet<string> = new Set(['type', 'delay', 'jitter']);

export function resolveBackoff(option: string, value: unknown): ResolvedBackoff {
  if (value === undefined) return { type: 'fixed', delay: 0, jitter: 0 };
  if (typeof value === 'number' || typeof value === 'string')
    return { type: 'fixed', delay: parseDuration(option, value), jitter: 0 };
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalid(option, "a duration or { type: 'fixed' | 'exponential', delay, jitter? }", value);
  const o = knownOptions(option, value, BACKOFF_OPTIONS)!;
  const type = checkOneOf(`${option}.type`, o.type, ['fixed', 'exponential'] as const);
  const delay = parseDuration(`${option}.delay`, o.delay);
  const jitter = o.jitter === undefined ? 0 : checkNumber(`${option}.jitter`, o.jitter);
  if (jitter > 1) throw invalid(`${option}.jitter`, 'a number from 0 to 1', o.jitter);
  return { type, delay, jitter };
}

/**
 * The wait in ms after `attemptsMade` failed attempts (>= 1). An exponential
 * wait stops growing at MAX_DURATION: a timer asked for more would fire
 * after 1 ms instead.
 */
export function backoffDelay(b: ResolvedBackoff, attemptsMade: number): number {
  const base = b.type === 'fixed' ? b.delay : Math.min(b.delay * 2 ** (attemptsMade - 1), MAX_DURATION);
  return Math.round(b.jitter > 0 ? base * (1 - Math.random() * b.jitter) : base);
}
