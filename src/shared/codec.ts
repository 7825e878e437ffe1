// How a Channel turns values into bytes in its ring, and back.
//
// A compact tagged format, written by hand because it is several times
// faster than v8.serialize for the small records channels usually carry:
//   undefined, null, booleans      1 byte
//   number                         int32 (5 bytes) or float64 (9 bytes); -0 and NaN kept
//   string                         ASCII up to 63 chars: 2 + n bytes; else UTF-8: 5 + bytes;
//                                  with a lone surrogate, UTF-16: 5 + 2n bytes (UTF-8 cannot hold one)
//   bigint                         its decimal digits
//   Date                           float64 time
//   array                          count + elements (a sparse array takes the v8 path)
//   plain object                   count + (key, value) pairs, own enumerable string keys
//   typed array, DataView          kind + byte length + bytes (only the view's bytes)
//   ArrayBuffer                    byte length + bytes
// Anything else that structured clone accepts (Map, Set, RegExp, Error, class
// instances, boxed primitives, values that repeat an object or hold a cycle)
// is encoded whole with v8.serialize, so it arrives as postMessage would
// deliver it. Functions, symbols and shared memory (SharedArrayBuffer, views
// on it, spindle primitives) cannot travel through bytes and are rejected.
//
// Decoding trusts nothing: the bytes live in shared memory that any thread
// (or a bug) may have scribbled on. Every read is checked against the end of
// the record, every count against the bytes left, nesting is bounded, and any
// inconsistency is ERR_SHARED_MALFORMED_RECORD, never a raw error or a hang.
import { Buffer } from 'node:buffer';
import { types } from 'node:util';
import v8 from 'node:v8';
import { SharedMalformedRecordError, SharedRecordTooLargeError, SharedUnsupportedValueError } from '../errors/index.js';
import { describe } from '../util/validate.js';
import { sharedTag } from './handle.js';

const UNDEFINED = 0;
const NULL = 1;
const FALSE = 2;
const TRUE = 3;
const INT = 4;
const FLOAT = 5;
const ASCII = 6;
const UTF8 = 7;
const ARRAY = 8;
const OBJECT = 9;
const VIEW = 10;
const ARRAY_BUFFER = 11;
const BIGINT = 12;
const DATE = 13;
const V8 = 14;
const UTF16 = 15;

// Deeper values take the v8 path (whose own limit is a few thousand levels);
// the decoder refuses deeper records, which this encoder never writes.
const MAX_DEPTH = 256;

const SHORT_ASCII = 64; // one-byte length; longer strings use UTF-8
const VIEW_TYPES = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
] as const;
const VIEW_KIND = new Map<string, number>(VIEW_TYPES.map((type, kind) => [type.name, kind]));
const DATA_VIEW = VIEW_TYPES.length - 1;

const fromCharCode = String.fromCharCode;
const isProxy = types.isProxy;
// String.prototype.isWellFormed (Node 20+) is in lib.es2024, past this project's lib list.
type WellFormed = { isWellFormed(): boolean };
const KEY_CACHE_SIZE = 256;

// Thrown inside the fast encoder when a value needs v8.serialize.
const FALLBACK = Symbol('fallback');

class Writer {
  // One scratch buffer seen three ways: bytes for element writes, text for
  // Buffer's native string encoder, view for numbers.
  buf = new Uint8Array(0);
  text = Buffer.from(this.buf.buffer);
  view = new DataView(this.buf.buffer);
  start = 0; // where the value being written starts
  pos = 0;
  limit = 0;
  depth = 0;
  busy = false;
  /**
   * Exact mode (encodeExact, for pool calls): anything this format would not
   * reproduce exactly as structured clone does (see encodeExact) throws
   * FALLBACK instead of taking the v8 path or failing.
   */
  exact = false;
  // Objects met so far in this value: a short list, then a Set for big values.
  readonly seenList: (object | undefined)[] = [];
  seenCount = 0;
  seenSet: Set<object> | undefined;

  reset(limit: number): void {
    this.begin(0, limit);
  }

  // Starts a value at `start`, keeping the bytes before it (a batch): it may
  // take up to `limit` bytes.
  begin(start: number, limit: number): void {
    if (this.buf.length < start + limit) {
      const scratch = new ArrayBuffer(Math.max(start + limit, 2 * this.buf.length));
      const bytes = new Uint8Array(scratch);
      if (start > 0) bytes.set(this.buf.subarray(0, start));
      this.buf = bytes;
      this.text = Buffer.from(scratch);
      this.view = new DataView(scratch);
    }
    this.start = start;
    this.pos = start;
    this.limit = start + limit;
    this.depth = 0;
  }

  metBefore(v: object): boolean {
    if (this.seenSet === undefined) {
      const list = this.seenList;
      const n = this.seenCount;
      for (let i = 0; i < n; i++) if (list[i] === v) return true;
      list[n] = v;
      if (++this.seenCount > 16) this.seenSet = new Set(list as object[]);
      return false;
    }
    const size = this.seenSet.size;
    return this.seenSet.add(v).size === size;
  }

  forget(): void {
    for (let i = 0; i < this.seenCount; i++) this.seenList[i] = undefined;
    this.seenCount = 0;
    this.seenSet = undefined;
  }

  room(n: number): void {
    if (this.pos + n > this.limit) {
      throw new SharedRecordTooLargeError(this.pos - this.start + n, this.limit - this.start);
    }
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  varint(n: number): void {
    while (n >= 0x80) {
      this.byte((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    this.byte(n);
  }

  bytes(source: Uint8Array): void {
    this.varint(source.length);
    this.room(source.length);
    this.buf.set(source, this.pos);
    this.pos += source.length;
  }

  value(v: unknown): void {
    switch (typeof v) {
      case 'number':
        this.number(v);
        break;
      case 'string':
        this.string(v);
        break;
      case 'boolean':
        this.byte(v ? TRUE : FALSE);
        break;
      case 'undefined':
        this.byte(UNDEFINED);
        break;
      case 'bigint':
        this.byte(BIGINT);
        this.string(v.toString());
        break;
      case 'object':
        if (v === null) this.byte(NULL);
        else this.object(v);
        break;
      default:
        throw new SharedUnsupportedValueError(`Cannot send ${describe(v)} through a channel: it cannot be cloned`);
    }
  }

  number(v: number): void {
    if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
      this.room(5);
      this.buf[this.pos] = INT;
      this.view.setInt32(this.pos + 1, v, true);
      this.pos += 5;
    } else {
      this.room(9);
      this.buf[this.pos] = FLOAT;
      this.view.setFloat64(this.pos + 1, v, true);
      this.pos += 9;
    }
  }

  string(s: string): void {
    const n = s.length;
    const buf = this.buf;
    if (n < SHORT_ASCII) {
      // A JS loop beats a native call for short strings; give up at the first non-ASCII char.
      this.room(2 + n);
      const start = this.pos + 2;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        buf[start + i] = c;
      }
      if (i === n) {
        buf[this.pos] = ASCII;
        buf[this.pos + 1] = n;
        this.pos = start + n;
        return;
      }
    }
    if (!(s as unknown as WellFormed).isWellFormed()) {
      if (this.exact) throw FALLBACK;
      // A lone surrogate: UTF-8 would turn it into U+FFFD, UTF-16 keeps it.
      this.room(5 + 2 * n);
      buf[this.pos] = UTF16;
      this.view.setUint32(this.pos + 1, n, true);
      this.text.write(s, this.pos + 5, 'utf16le');
      this.pos += 5 + 2 * n;
      return;
    }
    this.room(5 + (this.pos + 5 + n * 3 <= this.limit ? n * 3 : Buffer.byteLength(s)));
    buf[this.pos] = UTF8;
    const written = this.text.write(s, this.pos + 5, 'utf8');
    this.view.setUint32(this.pos + 1, written, true);
    this.pos += 5 + written;
  }

  object(v: object): void {
    // An object met twice (a shared reference or a cycle): let v8 keep the identity.
    if (this.metBefore(v)) throw FALLBACK;
    if (this.exact && isProxy(v)) throw FALLBACK; // structured clone refuses a Proxy
    if (Array.isArray(v)) {
      if (++this.depth > MAX_DEPTH) throw FALLBACK;
      // structured clone also copies an array's own non-index properties
      if (this.exact && (Object.getPrototypeOf(v) !== Array.prototype || Object.keys(v).length !== v.length))
        throw FALLBACK;
      const n = v.length;
      this.byte(ARRAY);
      this.varint(n);
      for (let i = 0; i < n; i++) {
        const item = v[i];
        if (item === undefined && !(i in v)) throw FALLBACK; // a hole
        this.value(item);
      }
      this.depth--;
      return;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      // structured clone refuses an arguments object and a module namespace
      if (this.exact && (types.isArgumentsObject(v) || types.isModuleNamespaceObject(v))) throw FALLBACK;
      if (++this.depth > MAX_DEPTH) throw FALLBACK;
      const keys = Object.keys(v);
      this.byte(OBJECT);
      this.varint(keys.length);
      for (const key of keys) {
        if (key === '__spindleShared') throw this.exact ? FALLBACK : sharedPrimitive();
        this.string(key);
        const item = (v as Record<string, unknown>)[key];
        // A key a getter deleted on the way: structured clone skips it, this
        // format has already counted it (only user code deletes, and only a
        // getter runs it here: a value read as undefined is checked).
        if (item === undefined && this.exact && !Object.hasOwn(v, key)) throw FALLBACK;
        this.value(item);
      }
      this.depth--;
      return;
    }
    if (this.exact) this.exactOther(v);
    if (sharedTag(v) !== undefined) throw sharedPrimitive();
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof SharedArrayBuffer) throw sharedMemory();
      const kind = VIEW_KIND.get((v as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] ?? 'DataView');
      if (kind === undefined) throw FALLBACK; // a view type this format does not know (e.g. Float16Array)
      this.byte(VIEW);
      this.byte(kind);
      this.bytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      return;
    }
    if (v instanceof ArrayBuffer) {
      this.byte(ARRAY_BUFFER);
      this.bytes(new Uint8Array(v));
      return;
    }
    if (v instanceof SharedArrayBuffer) throw sharedMemory();
    if (v instanceof Date) {
      this.room(9);
      this.buf[this.pos] = DATE;
      this.view.setFloat64(this.pos + 1, v.getTime(), true);
      this.pos += 9;
      return;
    }
    throw FALLBACK; // Map, Set, RegExp, Error, class instances...: v8.serialize
  }

  // Exact mode, a value that is neither an array nor a plain object: only an
  // ArrayBuffer (not resizable, not detached) and a Date travel; a typed array
  // or DataView would lose the rest of its buffer and its offset.
  exactOther(v: object): void {
    const proto = Object.getPrototypeOf(v);
    if (proto === ArrayBuffer.prototype) {
      const ab = v as ArrayBuffer & { resizable?: boolean };
      if (ab.resizable === true || ab.byteLength === 0) throw FALLBACK;
      return;
    }
    if (proto !== Date.prototype) throw FALLBACK;
  }

  v8(value: unknown): void {
    let bytes: Buffer;
    try {
      bytes = v8.serialize(value);
    } catch (error) {
      throw new SharedUnsupportedValueError(`Cannot send ${describe(value)} through a channel: it cannot be cloned`, {
        cause: error,
      });
    }
    const start = this.start;
    this.pos = start;
    this.room(1 + bytes.length);
    this.buf[start] = V8;
    this.buf.set(bytes, start + 1);
    this.pos = start + 1 + bytes.length;
  }
}

function sharedPrimitive(): SharedUnsupportedValueError {
  return new SharedUnsupportedValueError(
    'Cannot send a spindle shared primitive through a channel: pass it in workerData, postMessage or pool.run() arguments',
  );
}

function sharedMemory(): SharedUnsupportedValueError {
  return new SharedUnsupportedValueError(
    'Cannot send shared memory through a channel (it would arrive as a copy): pass the SharedArrayBuffer in workerData or postMessage',
  );
}

const writer = new Writer();

/** The last encoded record: `bytes[0..length)`, valid until the next `encode` on this thread. */
export const encoded = { bytes: new Uint8Array(0), length: 0 };

/** A record length that says "no bytes: the record is this int32" (ring cells store it in a word of its own). */
export const INT32_RECORD = -1;
/** A record length that says "no bytes: the record is this float64". */
export const FLOAT64_RECORD = -2;

/** Whether `v` is a number that travels as an int32 (-0 does not: it must arrive as -0). */
export function isInt32(v: number): boolean {
  return (v | 0) === v && (v !== 0 || 1 / v > 0);
}

/**
 * Several values encoded back to back before any is sent, so that one that is
 * too large or cannot travel fails the whole call. Record `i` is
 * `bytes[starts[i], starts[i] + lengths[i])`; with `numbers`, a number takes no
 * bytes and its length is INT32_RECORD or FLOAT64_RECORD instead (the caller
 * writes the number itself). `bytes` is scratch memory of this thread, valid
 * until the next `encodeMany`: copy `bytes[0, end)` to keep it across an await.
 */
export interface EncodedBatch {
  bytes: Uint8Array;
  end: number;
  starts: Int32Array;
  lengths: Int32Array;
}

const batchWriter = new Writer();

/** Encodes every value of `values` (each within `limit` bytes), or throws the first failing value's coded error. */
export function encodeMany(values: readonly unknown[], limit: number, numbers: boolean): EncodedBatch {
  const n = values.length;
  const starts = new Int32Array(n);
  const lengths = new Int32Array(n);
  // A getter on a value may itself call sendMany: use a fresh writer then.
  const w = batchWriter.busy ? new Writer() : batchWriter;
  w.busy = true;
  let pos = 0;
  try {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      starts[i] = pos;
      if (numbers && typeof v === 'number') {
        lengths[i] = isInt32(v) ? INT32_RECORD : FLOAT64_RECORD;
        continue;
      }
      w.begin(pos, limit);
      try {
        w.value(v);
      } catch (error) {
        if (error !== FALLBACK) throw error;
        w.v8(v);
      } finally {
        w.forget();
      }
      lengths[i] = w.pos - pos;
      pos = w.pos;
    }
    return { bytes: w.buf, end: pos, starts, lengths };
  } finally {
    w.busy = false;
  }
}

/** Encodes `value` into a scratch buffer (see `encoded`); throws coded errors for oversize or unsupported values. */
export function encode(value: unknown, limit: number): typeof encoded {
  if (typeof value === 'number' && !writer.busy) {
    // The commonest record, and one that runs no user code: skip the bookkeeping.
    writer.reset(limit);
    writer.number(value);
    encoded.bytes = writer.buf;
    encoded.length = writer.pos;
    return encoded;
  }
  // A getter on the value may itself send on a channel: use a fresh writer then.
  const w = writer.busy ? new Writer() : writer;
  w.busy = true;
  try {
    w.reset(limit);
    try {
      w.value(value);
    } catch (error) {
      if (error !== FALLBACK) throw error;
      w.v8(value);
    }
    encoded.bytes = w.buf;
    encoded.length = w.pos;
    return encoded;
  } finally {
    w.forget();
    w.busy = false;
  }
}

const exactWriter = new Writer();
exactWriter.exact = true;

/**
 * Encodes `value` only if decoding gives back exactly what structured clone
 * (postMessage) would deliver: numbers, bigints, booleans, null, undefined,
 * strings without a lone surrogate, dense arrays without extra properties,
 * plain objects, non-resizable ArrayBuffers and Dates, nested in a tree (no
 * object met twice), within `limit` bytes. Anything else returns undefined:
 * typed arrays and DataViews (structured clone keeps their whole buffer and
 * offset), shared memory, Proxies, class instances, Map, Set, Error, cycles,
 * functions; a getter that throws also returns undefined (the caller takes
 * the structured-clone path, which runs it again). The pool's shared-memory
 * path uses this to choose, per task, between its rings and postMessage.
 */
export function encodeExact(value: unknown, limit: number): typeof encoded | undefined {
  const w = exactWriter.busy ? new Writer() : exactWriter;
  w.exact = true;
  w.busy = true;
  try {
    w.reset(limit);
    w.value(value);
    encoded.bytes = w.buf;
    encoded.length = w.pos;
    return encoded;
  } catch {
    return undefined;
  } finally {
    w.forget();
    w.busy = false;
  }
}

/** Reads records out of shared (or any) memory, trusting none of it. */
export class Decoder {
  readonly #u8: Uint8Array;
  readonly #buf: Buffer;
  readonly #view: DataView;
  #pos = 0;
  #end = 0;
  #depth = 0;
  readonly #keys: (string | undefined)[] = new Array(KEY_CACHE_SIZE).fill(undefined);

  constructor(buffer: ArrayBufferLike) {
    this.#u8 = new Uint8Array(buffer);
    this.#buf = Buffer.from(buffer);
    this.#view = new DataView(buffer);
  }

  /**
   * Decodes the record of `length` bytes at `start`; the result shares no
   * memory with the buffer. Reads nothing outside the record; a record that
   * does not hold exactly one well-formed value throws ERR_SHARED_MALFORMED_RECORD.
   */
  decode(start: number, length: number): unknown {
    const end = start + length;
    if (!(length >= 1 && end <= this.#u8.length)) throw malformed(`a record length of ${length}`);
    if (this.#u8[start] === V8) return general(this.#u8.slice(start + 1, end));
    this.#pos = start;
    this.#end = end;
    this.#depth = 0;
    const value = this.#value();
    if (this.#pos !== end) throw malformed(`${end - this.#pos} bytes after the value`);
    return value;
  }

  // Reserves `n` bytes at the read position; returns where they start.
  #take(n: number): number {
    const at = this.#pos;
    if (n > this.#end - at) throw malformed('a value that runs past the end of the record');
    this.#pos = at + n;
    return at;
  }

  // A count or length: LEB128, at most 5 bytes (counts stay below 2^31), each byte within the record.
  #varint(): number {
    let n = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.#u8[this.#take(1)]!;
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n;
    }
    throw malformed('a count longer than 5 bytes');
  }

  // A count of items that each take at least `each` bytes: more than the bytes left is malformed.
  #count(each: number): number {
    const n = this.#varint();
    if (n * each > this.#end - this.#pos) throw malformed(`a count of ${n} in a record with fewer bytes left`);
    return n;
  }

  #bytes(size = 1): ArrayBuffer {
    const n = this.#count(1);
    if (n % size !== 0) throw malformed(`a typed array of ${n} bytes, not a multiple of ${size}`);
    const at = this.#take(n);
    const out = new ArrayBuffer(n);
    new Uint8Array(out).set(this.#u8.subarray(at, at + n));
    return out;
  }

  #string(): string {
    const tag = this.#u8[this.#take(1)];
    if (tag === ASCII) {
      const n = this.#u8[this.#take(1)]!;
      const start = this.#take(n);
      if (n > 24) return this.#buf.toString('latin1', start, start + n);
      // Short strings: a few String.fromCharCode calls beat a native Buffer call.
      const u8 = this.#u8;
      const end = start + n;
      let s = '';
      let i = start;
      for (; i + 8 <= end; i += 8) {
        s += fromCharCode(u8[i]!, u8[i + 1]!, u8[i + 2]!, u8[i + 3]!, u8[i + 4]!, u8[i + 5]!, u8[i + 6]!, u8[i + 7]!);
      }
      for (; i < end; i++) s += fromCharCode(u8[i]!);
      return s;
    }
    if (tag === UTF8) {
      const n = this.#view.getUint32(this.#take(4), true);
      const start = this.#take(n);
      return this.#buf.toString('utf8', start, start + n);
    }
    if (tag === UTF16) {
      const n = this.#view.getUint32(this.#take(4), true);
      const start = this.#take(2 * n);
      return this.#buf.toString('utf16le', start, start + 2 * n);
    }
    throw malformed(`tag ${tag} where a string was expected`);
  }

  // Object keys repeat from record to record. Returning the same internalized
  // string for the same bytes makes the property stores that follow much cheaper.
  #key(): string {
    const u8 = this.#u8;
    const at = this.#pos;
    if (this.#end - at < 2 || u8[at] !== ASCII) return this.#string();
    const n = u8[at + 1]!;
    const start = at + 2;
    if (n > 32 || n > this.#end - start) return this.#string();
    let h = n;
    for (let i = start; i < start + n; i++) h = (h * 31 + u8[i]!) | 0;
    const slot = (h ^ (h >>> 11)) & (KEY_CACHE_SIZE - 1);
    const cached = this.#keys[slot];
    if (cached !== undefined && cached.length === n) {
      let i = 0;
      while (i < n && cached.charCodeAt(i) === u8[start + i]) i++;
      if (i === n) {
        this.#pos = start + n;
        return cached;
      }
    }
    const key = Object.keys({ [this.#string()]: 0 })[0]!; // an internalized copy
    this.#keys[slot] = key;
    return key;
  }

  #value(): unknown {
    const tag = this.#u8[this.#pos];
    switch (tag) {
      case ASCII:
      case UTF8:
      case UTF16:
        return this.#string();
    }
    this.#take(1);
    switch (tag) {
      case UNDEFINED:
        return undefined;
      case NULL:
        return null;
      case FALSE:
        return false;
      case TRUE:
        return true;
      case INT:
        return this.#view.getInt32(this.#take(4), true);
      case FLOAT:
        return this.#view.getFloat64(this.#take(8), true);
      case ARRAY: {
        const n = this.#count(1);
        if (++this.#depth > MAX_DEPTH) throw malformed('values nested too deep');
        const out = new Array(n);
        for (let i = 0; i < n; i++) out[i] = this.#value();
        this.#depth--;
        return out;
      }
      case OBJECT: {
        const n = this.#count(3); // a key takes at least 2 bytes, a value 1
        if (++this.#depth > MAX_DEPTH) throw malformed('values nested too deep');
        const out: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const key = this.#key();
          const value = this.#value();
          // An own "__proto__" key must stay data, not become the prototype;
          // a key the prototype chain has (toString, or one with a setter)
          // must become an own property whatever Object.prototype holds
          // (frozen: an assignment would throw; a setter would run).
          if (key === '__proto__' || key in out)
            Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
          else out[key] = value;
        }
        this.#depth--;
        return out;
      }
      case VIEW: {
        const kind = this.#u8[this.#take(1)]!;
        if (kind === DATA_VIEW) return new DataView(this.#bytes());
        const Type = VIEW_TYPES[kind] as Uint8ArrayConstructor | undefined;
        if (Type === undefined) throw malformed(`typed array kind ${kind}`);
        return new Type(this.#bytes(Type.BYTES_PER_ELEMENT));
      }
      case ARRAY_BUFFER:
        return this.#bytes();
      case BIGINT: {
        const digits = this.#string();
        if (!/^-?\d+$/.test(digits)) throw malformed('a bigint that is not decimal digits');
        return BigInt(digits);
      }
      case DATE:
        return new Date(this.#view.getFloat64(this.#take(8), true));
      default:
        throw malformed(`tag ${tag}`);
    }
  }
}

// A value v8.serialize wrote, read back; v8 checks its own format, and any
// complaint (a bad tag, a length past the end, nesting too deep) becomes a coded error.
function general(bytes: Uint8Array): unknown {
  try {
    return v8.deserialize(bytes);
  } catch (error) {
    throw malformed('a v8-serialized value that does not deserialize', error);
  }
}

/** The coded error for a record that does not decode. */
export function malformed(what: string, cause?: unknown): SharedMalformedRecordError {
  const message = `The channel's memory holds a malformed record: ${what}`;
  return new SharedMalformedRecordError(message, cause === undefined ? undefined : { cause });
}
