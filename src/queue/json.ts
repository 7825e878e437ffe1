// Jobs are stored as JSON in Redis. A value that JSON would change silently
// (a Date becomes a string, undefined vanishes, NaN becomes null, a Map
// becomes {}) is rejected at add() instead, naming where it sits. Both stores
// apply the same check, so code moves between them unchanged.
import { QueueJobNotSerializableError } from '../errors/index.js';
import { invalid } from '../util/validate.js';

const key = (path: string, k: string): string =>
  /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;

/** Throws ERR_QUEUE_JOB_NOT_SERIALIZABLE unless `value` survives JSON.stringify + JSON.parse unchanged. */
export function checkJson(value: unknown, path: string, seen: Set<object> = new Set()): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value))
        throw new QueueJobNotSerializableError(path, `is ${value}, which JSON turns into null`);
      if (Object.is(value, -0)) throw new QueueJobNotSerializableError(path, 'is -0, which JSON turns into 0');
      return;
    case 'undefined':
      throw new QueueJobNotSerializableError(path, 'is undefined, which JSON drops (or turns into null in an array)');
    case 'bigint':
      throw new QueueJobNotSerializableError(path, 'is a BigInt, which JSON cannot encode (pass it as a string)');
    case 'function':
      throw new QueueJobNotSerializableError(path, 'is a function, which JSON cannot encode');
    case 'symbol':
      throw new QueueJobNotSerializableError(path, 'is a symbol, which JSON cannot encode');
  }
  if (value === null) return;
  const obj = value as object;
  if (seen.has(obj)) throw new QueueJobNotSerializableError(path, 'refers back to itself (a cycle)');
  if (Array.isArray(obj)) {
    seen.add(obj);
    for (let i = 0; i < obj.length; i++) {
      if (!(i in obj))
        throw new QueueJobNotSerializableError(
          `${path}[${i}]`,
          'is a hole in a sparse array, which JSON turns into null',
        );
      checkJson(obj[i], `${path}[${i}]`, seen);
    }
    seen.delete(obj);
    return;
  }
  const proto = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null) {
    const name = (obj.constructor as { name?: string } | undefined)?.name || 'an object with a custom prototype';
    const hint = obj instanceof Date ? ' (it would arrive as a string: pass date.toISOString() or a timestamp)' : '';
    throw new QueueJobNotSerializableError(path, `is an instance of ${name}, which would not arrive as one${hint}`);
  }
  if (Object.getOwnPropertySymbols(obj).length > 0)
    throw new QueueJobNotSerializableError(path, 'has symbol keys, which JSON drops');
  seen.add(obj);
  for (const k of Object.keys(obj)) {
    if (k === '__proto__')
      throw new QueueJobNotSerializableError(key(path, k), 'is an own __proto__ key, which does not round-trip');
    checkJson((obj as Record<string, unknown>)[k], key(path, k), seen);
  }
  seen.delete(obj);
}

/**
 * add()'s `args`: an array whose every value survives JSON. A value that
 * cannot even be read (a throwing getter, a Proxy) is refused as not
 * serializable rather than escaping as a raw error.
 */
export function checkArgs(args: unknown): void {
  let isArray: boolean;
  try {
    isArray = Array.isArray(args);
  } catch {
    isArray = false; // a revoked Proxy
  }
  if (!isArray) throw invalid('args', 'an array of arguments', args);
  try {
    checkJson(args, 'args');
  } catch (err) {
    if (err instanceof QueueJobNotSerializableError) throw err;
    throw new QueueJobNotSerializableError('args', 'could not be read: a getter or Proxy in it threw');
  }
}
