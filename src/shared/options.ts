import { type Duration, optionalDuration } from '../util/duration.js';
import { knownOptions } from '../util/known.js';
import { checkSignal, invalid } from '../util/validate.js';

/** Options of every call that may wait. */
export interface WaitOptions {
  /**
   * Give up after this long: milliseconds or a duration string ('500ms', '2s'),
   * at most 2^31 - 1 ms; `Infinity` (the default) waits forever, `0` tries once.
   */
  timeout?: Duration;
  /**
   * Cancels an async wait. A blocking (`*Sync`) call checks it once before it
   * blocks: a thread blocked in `Atomics.wait` cannot see an abort.
   */
  signal?: AbortSignal;
}

/** Validated wait options: an absolute deadline on `performance.now()`'s clock. */
export interface Wait {
  timeout: number;
  deadline: number;
  signal: AbortSignal | undefined;
}

export const FOREVER: Wait = Object.freeze({
  timeout: Number.POSITIVE_INFINITY,
  deadline: Number.POSITIVE_INFINITY,
  signal: undefined,
});

const WAIT_OPTIONS: ReadonlySet<string> = new Set(['timeout', 'signal']);
const SIGNAL_ONLY: ReadonlySet<string> = new Set(['signal']);

/** Validates `options` and fixes the deadline now, so loops share one budget. */
export function waitOptions(options: WaitOptions | undefined, name = 'options'): Wait {
  if (options === undefined) return FOREVER;
  const o = knownOptions(name, options, WAIT_OPTIONS)!;
  const t = optionalDuration(`${name}.timeout`, o.timeout, Number.POSITIVE_INFINITY, { infinity: true });
  return {
    timeout: t,
    deadline: t === Number.POSITIVE_INFINITY ? t : performance.now() + t,
    signal: checkSignal(`${name}.signal`, o.signal),
  };
}

/** Options of a call that waits for as long as it runs (iteration): a signal, no timeout. */
export function signalOptions(options: Pick<WaitOptions, 'signal'> | undefined, name = 'options'): Wait {
  if (options === undefined) return FOREVER;
  const o = knownOptions(name, options, SIGNAL_ONLY)!;
  const signal = checkSignal(`${name}.signal`, o.signal);
  return signal === undefined ? FOREVER : { ...FOREVER, signal };
}

export const INT32_MAX = 2 ** 31 - 1;

/** An integer in [min, max] (counts kept in an Int32), else throws ERR_INVALID_OPTION. */
export function checkCount(option: string, value: unknown, min: number, max = INT32_MAX): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(option, `an integer from ${min} to ${max}`, value);
  }
  return value;
}
