// Structured clone over a JSON IPC channel, fast.
//
// Node's 'advanced' IPC serialization builds a V8 serializer per message,
// which costs more than the whole round trip of a tiny task over a 'json'
// channel. So the channel is 'json', and each message picks its encoding: a
// message JSON carries exactly (plain objects and arrays of finite numbers,
// strings, booleans and null) goes as it is; one that JSON would alter (a
// Map, a Date, a typed array, a BigInt, -0, NaN, an undefined field, a class
// instance, a cycle...) goes as one V8-serialized (structured clone) string.
// Either way the receiver gets what structured clone would give it.
//
// Wire forms (the first element of a message is always a number, its kind):
//   [kind, ...]             JSON-exact as is
//   [[kind, ...], [i, ...]] JSON-exact but for `undefined` at these top-level
//                           positions (a task that returns nothing)
//   "base64"                v8.serialize(message)
import { createRequire } from 'node:module';

/** node:v8, loaded the first time a message needs it. */
let v8: typeof import('node:v8') | undefined;
const loadV8 = (): typeof import('node:v8') =>
  (v8 ??= createRequire(import.meta.url)('node:v8') as typeof import('node:v8'));

const MAX_DEPTH = 64;

/** True when JSON.parse(JSON.stringify(v)) is what structured clone gives. */
function jsonExact(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0);
    case 'object': {
      if (v === null) return true;
      if (depth > MAX_DEPTH) return false; // deep, or a cycle: structured clone handles it
      if (Array.isArray(v)) {
        if (Object.getPrototypeOf(v) !== Array.prototype) return false;
        for (let i = 0; i < v.length; i++) {
          if (!(i in v) || !jsonExact(v[i], depth + 1)) return false; // a hole would become null
        }
        return true;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
      const o = v as Record<string, unknown>;
      for (const key in o) {
        const x = o[key];
        if (x === undefined || !jsonExact(x, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false; // undefined inside a value, bigint, function, symbol
  }
}

/** Encodes one message for the channel; throws (like postMessage) on what cannot be cloned. */
export function encode(message: unknown[]): string | unknown[] {
  let holes: number[] | undefined;
  for (let i = 0; i < message.length; i++) {
    const v = message[i];
    if (v === undefined) (holes ??= []).push(i);
    else if (!jsonExact(v, 0)) return loadV8().serialize(message).toString('base64');
  }
  return holes ? [message, holes] : message;
}

/** Decodes what `encode` produced on the other side. */
export function decode(wire: unknown): unknown[] {
  if (typeof wire === 'string') return loadV8().deserialize(Buffer.from(wire, 'base64')) as unknown[];
  const m = wire as unknown[];
  if (!Array.isArray(m[0])) return m;
  const message = m[0] as unknown[];
  for (const i of m[1] as number[]) message[i] = undefined;
  return message;
}
