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

// A buffer handed from `from()` to the constructor it runs. Constructors take
// user options only; this keeps "wrap existing memory" out of their signatures.
let adopting: SharedArrayBuffer | undefined;

/** What `from()` needs to know about a kind: its tag and whether a buffer is laid out as one. */
export interface Layout<K extends SharedKind = SharedKind> {
  readonly kind: K;
  /** Whether `buffer` has this kind's size and a sane header (it may come from anywhere). */
  valid(buffer: SharedArrayBuffer): boolean;
}

/** A layout whose memory is `bytes` long and needs no other check. */
export function fixedLayout<K extends SharedKind>(kind: K, bytes: number): Layout<K> {
  return { kind, valid: (buffer) => buffer.byteLength === bytes };
}

/**
 * Base of every primitive: the two clone-friendly fields and nothing else
 * enumerable, the one constructor path and the one `from()`.
 */
export abstract class SharedPrimitive<K extends SharedKind> implements SharedHandle<K> {
  readonly __spindleShared: K;
  readonly buffer: SharedArrayBuffer;

  /**
   * `create` checks the caller's arguments and returns new, initialised
   * memory. When `from()` is reviving a cloned primitive, `create` is skipped
   * and the instance wraps that memory instead: arguments are not looked at.
   */
  protected constructor(layout: Layout<K>, create: () => SharedArrayBuffer) {
    const adopted = adopting;
    adopting = undefined;
    this.__spindleShared = layout.kind;
    this.buffer = adopted ?? create();
  }
}

/** A concrete primitive class, as `from()` sees it. */
export type PrimitiveClass<T> = (abstract new (...args: never[]) => T) & { readonly layout: Layout };

/**
 * Every `Kind.from()`: returns `value` when it already is a `Class`;
 * otherwise checks that it is that kind's cloned form (tag and memory layout)
 * and returns a new `Class` over the same memory. Anything else throws
 * ERR_SHARED_INVALID_HANDLE. (Each class declares its own one-line `from` so
 * that its return type, generic for Channel, is exact.)
 */
export function revive<T extends object>(Class: PrimitiveClass<T>, value: unknown): T {
  if (value instanceof Class) return value as T;
  adopting = handleBuffer(Class.layout, value);
  try {
    return Reflect.construct(Class, []) as T;
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
 * Checks that `value` is the cloned form of a `layout.kind` primitive whose
 * buffer passes `layout.valid`, and returns that buffer; otherwise throws
 * ERR_SHARED_INVALID_HANDLE.
 */
export function handleBuffer(layout: Layout, value: unknown): SharedArrayBuffer {
  const { kind } = layout;
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
  if (!(buffer instanceof SharedArrayBuffer) || !layout.valid(buffer)) {
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
