// What makes a primitive cross threads: its only own enumerable fields are a
// string tag and a SharedArrayBuffer, both of which structured clone keeps
// (the buffer by reference), while private fields and the prototype are
// dropped. `from()` turns that plain cloned form back into an instance over
// the same memory.
import { SharedInvalidHandleError } from '../errors/index.js';
import { describe } from '../util/validate.js';

export type SharedKind = 'Mutex' | 'Semaphore' | 'Latch' | 'Barrier' | 'Condition' | 'Channel';

/** The plain form a primitive takes after structured clone (postMessage, workerData). */
export interface SharedHandle<K extends SharedKind = SharedKind> {
  readonly __spindleShared: K;
  readonly buffer: SharedArrayBuffer;
}

// A buffer handed from `from()` to the constructor it calls. Constructors take
// user options only; this keeps "wrap existing memory" out of their signatures.
let adopting: SharedArrayBuffer | undefined;

/** Base of every primitive: the two clone-friendly fields and nothing else enumerable. */
export abstract class SharedPrimitive<K extends SharedKind> implements SharedHandle<K> {
  readonly __spindleShared: K;
  readonly buffer: SharedArrayBuffer;
  protected constructor(kind: K, buffer: SharedArrayBuffer) {
    this.__spindleShared = kind;
    this.buffer = buffer;
  }
}

/** In a constructor: the buffer `from()` is reviving, or undefined when creating a new primitive. */
export function takeAdopted(): SharedArrayBuffer | undefined {
  const buffer = adopting;
  adopting = undefined;
  return buffer;
}

/** Runs `create` (a constructor call) so that it wraps `buffer` instead of allocating. */
export function adopt<T>(buffer: SharedArrayBuffer, create: () => T): T {
  adopting = buffer;
  try {
    return create();
  } finally {
    adopting = undefined;
  }
}

/** The tag of a value that looks like one of ours, else undefined. */
export function sharedTag(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const tag = (value as { __spindleShared?: unknown }).__spindleShared;
  return typeof tag === 'string' ? tag : undefined;
}

/**
 * Checks that `value` is the cloned form of a `kind` primitive whose buffer
 * passes `valid`, and returns that buffer; otherwise throws ERR_SHARED_INVALID_HANDLE.
 */
export function handleBuffer(kind: SharedKind, value: unknown, valid: (buffer: SharedArrayBuffer) => boolean) {
  const tag = sharedTag(value);
  if (tag === undefined) {
    throw new SharedInvalidHandleError(
      kind,
      undefined,
      `Expected a ${kind} or its cloned form, got ${describe(value)} that is not a spindle shared primitive`,
    );
  }
  if (tag !== kind) throw new SharedInvalidHandleError(kind, tag, `Expected a ${kind}, got a ${tag.slice(0, 40)}`);
  const buffer = (value as { buffer?: unknown }).buffer;
  if (!(buffer instanceof SharedArrayBuffer) || !valid(buffer)) {
    throw new SharedInvalidHandleError(
      kind,
      tag,
      `Expected a ${kind}, got one whose shared memory is missing or malformed`,
    );
  }
  return buffer;
}

/**
 * Whether `value` is, or (with `deep`) contains in its plain objects and
 * arrays, the cloned form of a spindle primitive. Cheap to import: the pool's
 * worker entry uses it to load spindle/shared only when there is something to revive.
 */
export function hasShared(value: unknown, deep = false): boolean {
  return sharedTag(value) !== undefined || (deep && containsShared(value, new Set()));
}

function containsShared(value: unknown, seen: Set<object>): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (sharedTag(value) !== undefined) return true;
  if (seen.has(value)) return false;
  seen.add(value);
  if (Array.isArray(value)) return value.some((item) => containsShared(item, seen));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).some((item) => containsShared(item, seen));
}
