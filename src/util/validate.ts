import { InvalidOptionError, SpindleError } from '../errors/index.js';

/** Renders a received value for an error message: `-1 (number)`, `'x' (string)`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  const type = typeof value;
  if (type === 'string') {
    const s = value as string;
    return `${JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s)} (string)`;
  }
  if (type === 'number' || type === 'boolean' || type === 'bigint') return `${String(value)} (${type})`;
  if (type === 'function') return `function ${(value as { name?: string }).name || '(anonymous)'}`;
  if (type === 'symbol') return `${String(value)} (symbol)`;
  try {
    if (Array.isArray(value)) return `an array of length ${value.length}`;
    const ctor = (value as object).constructor?.name;
    return typeof ctor === 'string' && ctor !== 'Object' ? `an instance of ${ctor}` : 'an object';
  } catch {
    return 'an object'; // a Proxy whose traps throw: describing a value must never throw
  }
}

/** Builds the standard "Expected `name` to be X, got Y" error. */
export function invalid(option: string, expected: string, value: unknown): InvalidOptionError {
  return new InvalidOptionError(option, `Expected \`${option}\` to be ${expected}, got ${describe(value)}`);
}

/** A finite number >= `min` (and an integer when `integer`), else throws. */
export function checkNumber(
  option: string,
  value: unknown,
  {
    min = 0,
    integer = false,
    allowInfinity = false,
  }: { min?: number; integer?: boolean; allowInfinity?: boolean } = {},
): number {
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    value >= min &&
    (allowInfinity || Number.isFinite(value)) &&
    (!integer || Number.isInteger(value) || value === Number.POSITIVE_INFINITY);
  if (!ok) {
    const kind = integer ? 'an integer' : 'a number';
    const range = min === 0 ? '>= 0' : `>= ${min}`;
    throw invalid(option, `${kind} ${range}${allowInfinity ? ' (or Infinity)' : ''}`, value);
  }
  return value as number;
}

/** Like `checkNumber` but `undefined` returns the fallback. */
export function optionalNumber(
  option: string,
  value: unknown,
  fallback: number,
  opts?: { min?: number; integer?: boolean; allowInfinity?: boolean },
): number {
  return value === undefined ? fallback : checkNumber(option, value, opts);
}

/** One of a fixed set of strings, else throws listing the valid values. */
export function checkOneOf<T extends string>(option: string, value: unknown, valid: readonly T[]): T {
  if (typeof value === 'string' && (valid as readonly string[]).includes(value)) return value as T;
  throw invalid(option, `one of ${valid.map((v) => `'${v}'`).join(', ')}`, value);
}

/** A plain object (or undefined), else throws. */
export function checkObject(option: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(option, 'an object', value);
  return value as Record<string, unknown>;
}

/** An AbortSignal (or undefined), else throws. */
export function checkSignal(option: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw invalid(option, 'an AbortSignal', value);
  return value;
}

/**
 * The same error for a value that must not be shown (an `env` value, a
 * password): names the option and the received type, never the value.
 */
export function invalidSecret(option: string, expected: string, value: unknown): InvalidOptionError {
  const type = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a value of type ${typeof value}`;
  return new InvalidOptionError(option, `Expected \`${option}\` to be ${expected}, got ${type}`);
}

/** A boolean (or undefined, giving `fallback`), else throws. */
export function optionalBoolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(option, 'a boolean', value);
  return value;
}

/**
 * A shallow copy of an options object, read once: refuses anything but a plain
 * object (or undefined), and a Proxy or getter that throws while being read,
 * with ERR_INVALID_OPTION naming `option` instead of the raw error.
 */
export function readOptions(option: string, value: unknown): Record<string, unknown> | undefined {
  const o = checkObject(option, value);
  if (!o) return undefined;
  try {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(o)) copy[key] = o[key];
    return copy;
  } catch {
    throw invalid(option, 'a plain object whose properties can be read', value);
  }
}

/** An array of strings without NUL bytes (or undefined, giving []), else throws. */
export function stringArray(option: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.includes('\0')))
    throw invalid(option, 'an array of strings (without NUL bytes)', value);
  return [...value];
}

/** The most workers a count may ask for: more is a typo or a unit mix-up, not a machine. */
export const MAX_WORKERS = 1024;

/**
 * A fixed number of workers: a positive integer up to MAX_WORKERS, or 'auto'
 * (or undefined) for `auto()`, the CPUs this process may use. One rule for the
 * cluster, `work()` and the CLI's `--workers`.
 */
export function workerCount(option: string, value: unknown, auto: () => number): number {
  if (value === undefined || value === 'auto') return auto();
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_WORKERS) return value;
  throw invalid(option, `a positive integer or 'auto' (at most ${MAX_WORKERS})`, value);
}

/**
 * What reading the object given as `option` threw, as a coded error: a spindle
 * error as it is, anything else (a Proxy trap, a throwing getter) as
 * ERR_INVALID_OPTION naming `option`, with the thrown value as `cause`.
 */
export function readError(option: string, value: unknown, err: unknown): Error {
  if (err instanceof SpindleError) return err;
  const e = invalid(option, 'an object whose properties can be read (reading one threw)', value);
  Object.defineProperty(e, 'cause', { value: err, configurable: true, writable: true });
  return e;
}

/** Runs `read` (which reads the object given as `option`); what it throws goes through `readError`. */
export function readable<T>(option: string, value: unknown, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw readError(option, value, err);
  }
}
