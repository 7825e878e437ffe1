// Turns the plain, structured-cloned form of any spindle primitive back into
// its class. The Pool's worker entry calls it on task arguments and workerData
// so that a primitive passed to pool.run() arrives as the same class.
import { SharedInvalidHandleError } from '../errors/index.js';
import { knownOptions } from '../util/known.js';
import { optionalBoolean } from '../util/validate.js';
import { Barrier } from './barrier.js';
import { Channel } from './channel.js';
import { Condition } from './condition.js';
import { type SharedKind, sharedTag } from './handle.js';
import { Latch } from './latch.js';
import { Mutex } from './mutex.js';
import { Semaphore } from './semaphore.js';

const REVIVE_OPTIONS: ReadonlySet<string> = new Set(['deep']);

const revivers: Record<SharedKind, (value: unknown) => object> = {
  Mutex: (v) => Mutex.from(v),
  Semaphore: (v) => Semaphore.from(v),
  Latch: (v) => Latch.from(v),
  Barrier: (v) => Barrier.from(v),
  Condition: (v) => Condition.from(v),
  Channel: (v) => Channel.from(v),
};

export interface ReviveOptions {
  /**
   * Also revive primitives nested in plain objects and arrays (in place), e.g.
   * `workerData = { jobs: channel, lock: mutex }`. Default false: only `value` itself.
   */
  deep?: boolean;
}

/**
 * Returns the primitive instance for a tagged plain object (the cloned form of
 * a Mutex, Channel, ...); returns any other value unchanged. Throws
 * ERR_SHARED_INVALID_HANDLE only for a tagged value that is malformed or of an
 * unknown kind (and ERR_INVALID_OPTION for bad options).
 */
export function reviveShared<T = unknown>(value: T, options?: ReviveOptions): T {
  const deep = optionalBoolean('options.deep', knownOptions('options', options, REVIVE_OPTIONS)?.deep, false);
  if (deep) return reviveDeep(value, new Set()) as T;
  return reviveOne(value) as T;
}

function reviveOne(value: unknown): unknown {
  const tag = sharedTag(value);
  if (tag === undefined) return value;
  const revive = Object.hasOwn(revivers, tag) ? revivers[tag as SharedKind] : undefined;
  if (revive === undefined) {
    throw new SharedInvalidHandleError(tag, tag, `Unknown spindle shared primitive kind ${JSON.stringify(tag)}`);
  }
  return revive(value);
}

function reviveDeep(value: unknown, seen: Set<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (sharedTag(value) !== undefined) return reviveOne(value);
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = reviveDeep(value[i], seen);
      if (item !== value[i]) value[i] = item;
    }
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const item = reviveDeep(record[key], seen);
      if (item !== record[key]) record[key] = item;
    }
  }
  return value;
}
