// The ring under a Channel: a bounded multi-producer multi-consumer queue of
// records in one SharedArrayBuffer (Dmitry Vyukov's bounded MPMC queue). It
// never waits: it says OK, FULL, EMPTY, DRAINED or CLOSED, and wakes the other
// side's sleepers when they may go on; channel.ts does the waiting.
//
// Positions. ENQ and DEQ count records ever claimed by senders and receivers.
// Both are kept doubled (position * 2) so that bit 0 of ENQ is free to say
// "closed": closing and claiming are then one CAS on one word, and no send can
// slip in after a receiver has seen "closed and drained". Doubled positions
// wrap at 2^32 like any Int32; every comparison is a wrapped difference
// `(a - b) | 0`, valid while positions are less than 2^30 apart.
//
// Cells. Each of the `slots` cells (a power of two) starts with a sequence
// word. For the cell of doubled position P: seq == P means "free for the
// sender of P"; seq == P + 1 means "holds the record of P"; the receiver of P
// frees it for the next lap with seq = P + 2 * slots.
//   send:    read ENQ = P; if the cell's seq == P, CAS ENQ P -> P + 2 to claim
//            it, write the record, then store seq = P + 1 (publish).
//            seq < P: the previous lap's record is still there: full.
//   receive: read DEQ = D; if seq == D + 1, CAS DEQ D -> D + 2 to claim it,
//            read it, then store seq = D + 2 * slots (free). seq < D + 1: empty
//            (or a sender claimed D and is still writing it).
// The CAS hands each position to exactly one sender and one receiver; the
// sequence word orders the payload writes before the reads (Atomics.store and
// Atomics.load are sequentially consistent, so plain writes made before the
// store are visible after a load that sees it). When `capacity` is not a
// power of two, senders also check ENQ - DEQ < capacity so the bound is exact.
//
// Batches. A batch send claims k consecutive free cells with one CAS (ENQ P ->
// P + 2k): the cells were seen free and ENQ had not moved, so all k are its
// own. A batch receive claims the k consecutive published cells at DEQ the
// same way. The other side's waiters are checked once per batch, not per
// record. A batch is published with one atomic store, on its first cell, made
// after every other write of the batch (the other cells' sequence words are
// plain writes). That is enough: a receiver reads a cell only at DEQ or in a
// scan that starts at DEQ and stops at the first unpublished cell, and DEQ
// reaches a later cell of the batch only through a receiver that saw the
// first cell's store, then moved DEQ with a CAS that every later reader of
// DEQ synchronises with. So every read of the batch happens after its writes
// in the JS memory model, not merely on x86. Freeing a batch is the same the
// other way round: its first cell freed last and atomically, and senders
// reach the others only through ENQ moved past it.
//
// Waiting (channel.ts sleeps; this file wakes the sleepers). A blocked sender
// sleeps on SPACE_SEQ, a blocked receiver on DATA_SEQ. Each side first adds itself to SEND_WAITERS / RECV_WAITERS, then
// reads the *_SEQ word, then tries once more, and only then sleeps while
// *_SEQ still holds what it read. After every receive (send) the other side
// checks SEND_WAITERS (RECV_WAITERS) and, if non-zero, bumps SPACE_SEQ
// (DATA_SEQ) and notifies. Same argument as Semaphore: the waiter writes its
// counter then reads the ring; the peer writes the ring then reads the
// counter; with sequentially consistent atomics one of them sees the other,
// so either the retry succeeds, or the bump makes the sleep return at once,
// or the notify wakes it. Without waiters the fast path never calls
// Atomics.notify. close() sets the ENQ bit, then the CLOSED word, then bumps
// both *_SEQ words and wakes everyone. A receiver that finds the ring empty
// reads CLOSED (a line nobody writes while the channel runs) rather than ENQ
// (the senders' hottest line); it reads ENQ only once CLOSED is set, to see
// whether a sender still holds a claim. Both *_SEQ bumps come after CLOSED is
// set, so a receiver that read CLOSED == 0 before sleeping is woken.
import { SharedMalformedRecordError, SharedUnsupportedValueError } from '../errors/index.js';
import { describe, invalid } from '../util/validate.js';
import {
  Decoder,
  type EncodedBatch,
  encode,
  encodeMany,
  FLOAT64_RECORD,
  INT32_RECORD,
  isInt32,
  malformed,
} from './codec.js';

// Header, in Int32 indices. Line 0 holds the layout (written once) and the
// CLOSED word (written once); each hot word has a 128-byte pair of cache
// lines to itself, so that neither sharing nor the adjacent-line prefetcher
// makes a sender and a receiver fight over one line.
const MAGIC = 0;
const CAPACITY = 1;
const SLOTS = 2;
const STRIDE = 3; // bytes per cell
const MAX_RECORD = 4;
const TYPE = 5;
const CLOSED = 6;
const ENQ = 32;
const DEQ = 64;
export const RECV_WAITERS = 96;
export const DATA_SEQ = 97;
export const SEND_WAITERS = 128;
export const SPACE_SEQ = 129;
// Exported for the tests that write crafted records into a cell.
export const HEADER_BYTES = 640;
export const CELL_HEADER = 8; // seq, length (a channel of any values)
const HEADER_I32 = HEADER_BYTES / 4;
const CACHE_LINE = 64;
const MAGIC_VALUE = 0x53504332; // "SPC2": layout version 2

export const MAX_CAPACITY = 2 ** 20;
export const MAX_RECORD_SIZE = 2 ** 26;
export const MAX_BYTES = 2 ** 31 - 1;

/** What a channel carries: any structured value, or only numbers of one type (no encoding at all). */
export type ChannelType = 'any' | 'int32' | 'float64';
export const TYPES: readonly ChannelType[] = ['any', 'int32', 'float64'];
export const ANY = 0;
export const INT32 = 1;
export const FLOAT64 = 2;

/** What the ring said. */
export const OK = 0;
export const FULL = 1;
export const CLOSED_NOW = -1;
export const EMPTY = Symbol('empty');
export const DRAINED = Symbol('drained');

/** One ring's view of its memory, for one thread (or one Channel instance). */
export class Ring {
  readonly i32: Int32Array;
  /** ANY, INT32 or FLOAT64. */
  readonly type: number;
  readonly capacity: number;
  readonly maxRecord: number;
  readonly #u8: Uint8Array;
  readonly #f64: Float64Array;
  readonly #decoder: Decoder;
  readonly #mask: number;
  readonly #lap: number; // 2 * slots
  readonly #strideI32: number;
  readonly #exact: boolean; // capacity < slots: check ENQ - DEQ too
  #deqSeen = 0; // a lower bound of DEQ, so the exact check rarely reads DEQ
  // Where this instance's last send and receive left ENQ and DEQ: usually
  // still right (one sender, one receiver), which saves a load of the shared
  // word; when another thread moved it, the CAS fails and says where it is.
  #enqHint = 0;
  #deqHint = 0;

  /** `buffer` must pass `validRing`. */
  constructor(buffer: SharedArrayBuffer) {
    this.i32 = new Int32Array(buffer);
    this.#u8 = new Uint8Array(buffer);
    this.#f64 = new Float64Array(buffer, 0, buffer.byteLength >> 3);
    this.#decoder = new Decoder(buffer);
    this.type = this.i32[TYPE]!;
    this.capacity = this.i32[CAPACITY]!;
    const slots = this.i32[SLOTS]!;
    this.#mask = slots - 1;
    this.#lap = 2 * slots;
    this.#strideI32 = this.i32[STRIDE]! / 4;
    this.maxRecord = this.i32[MAX_RECORD]!;
    this.#exact = this.capacity !== slots;
  }

  /** Records in the ring, counting ones being written or read (a snapshot). */
  get size(): number {
    // DEQ first: ENQ read later is never behind it. The two reads are not one
    // snapshot, so clamp what other threads moved in between.
    const deq = Atomics.load(this.i32, DEQ);
    const ahead = ((Atomics.load(this.i32, ENQ) & ~1) - deq) | 0;
    return Math.min(Math.max(ahead >> 1, 0), this.capacity);
  }

  get closed(): boolean {
    return (Atomics.load(this.i32, ENQ) & 1) === 1;
  }

  /** Sets the closed bit (idempotent) and wakes every sleeper on both sides. */
  close(): void {
    const i32 = this.i32;
    let enq = Atomics.load(i32, ENQ);
    for (;;) {
      if (enq & 1) break;
      const seen = Atomics.compareExchange(i32, ENQ, enq, enq | 1);
      if (seen === enq) break;
      enq = seen;
    }
    // Also when another thread set the bit: the flag may not be set yet, and
    // this caller must not return before receivers can see it.
    Atomics.store(i32, CLOSED, 1);
    Atomics.add(i32, DATA_SEQ, 1);
    Atomics.notify(i32, DATA_SEQ);
    Atomics.add(i32, SPACE_SEQ, 1);
    Atomics.notify(i32, SPACE_SEQ);
  }

  /** For a sender watching before it sleeps: the cell at ENQ still holds the last lap's record. */
  sendBlocked(): boolean {
    const enq = Atomics.load(this.i32, ENQ);
    return !(enq & 1) && ((Atomics.load(this.i32, this.#cell(enq)) - enq) | 0) < 0;
  }

  /**
   * For a receiver watching before it sleeps: nothing is published at DEQ.
   * It reads only that cell's sequence word: reading ENQ too would pull the
   * senders' hot line away from them on every try.
   */
  receiveBlocked(): boolean {
    const deq = Atomics.load(this.i32, DEQ);
    return ((Atomics.load(this.i32, this.#cell(deq)) - deq - 1) | 0) < 0;
  }

  // Checks `value` for this ring and encodes it (into the thread's scratch,
  // `encoded.bytes`) when it needs encoding. Returns the record's length, or
  // INT32_RECORD / FLOAT64_RECORD for a number stored as it is.
  prepare(value: unknown): number {
    const type = this.type;
    if (type === ANY) {
      if (typeof value === 'number') return isInt32(value) ? INT32_RECORD : FLOAT64_RECORD;
      return encode(value, this.maxRecord).length;
    }
    if (typeof value !== 'number' || (type === INT32 && (value | 0) !== value)) throw this.#notOfType(value);
    return type === INT32 ? INT32_RECORD : FLOAT64_RECORD;
  }

  prepareMany(values: readonly unknown[]): EncodedBatch {
    if (!Array.isArray(values)) throw invalid('values', 'an array', values);
    if (this.type === ANY) return encodeMany(values, this.maxRecord, true);
    for (let i = 0; i < values.length; i++) this.prepare(values[i]);
    return TYPED_BATCH;
  }

  #notOfType(value: unknown): SharedUnsupportedValueError {
    const what = this.type === INT32 ? 'an integer from -2^31 to 2^31 - 1' : 'a number';
    return new SharedUnsupportedValueError(
      `Cannot send ${describe(value)} through a channel of type '${TYPES[this.type]}': it carries only ${what}`,
    );
  }

  #cell(position: number): number {
    return HEADER_I32 + ((position >>> 1) & this.#mask) * this.#strideI32;
  }

  // Writes a prepared record into its claimed cell (before the publishing store).
  #write(cell: number, value: unknown, length: number, bytes: Uint8Array, start: number): void {
    const i32 = this.i32;
    switch (this.type) {
      case INT32:
        i32[cell + 1] = value as number;
        return;
      case FLOAT64:
        this.#f64[(cell + 2) >> 1] = value as number;
        return;
    }
    i32[cell + 1] = length;
    if (length === INT32_RECORD) {
      i32[cell + 2] = value as number;
    } else if (length === FLOAT64_RECORD) {
      this.#f64[(cell + 2) >> 1] = value as number;
    } else if (length <= 64) {
      const u8 = this.#u8;
      const at = cell * 4 + CELL_HEADER;
      for (let k = 0; k < length; k++) u8[at + k] = bytes[start + k]!;
    } else {
      this.#u8.set(bytes.subarray(start, start + length), cell * 4 + CELL_HEADER);
    }
  }

  // Reads the record in a claimed cell. Nothing in shared memory is trusted:
  // a length word no sender writes is ERR_SHARED_MALFORMED_RECORD.
  #read(cell: number): unknown {
    const i32 = this.i32;
    switch (this.type) {
      case INT32:
        return i32[cell + 1];
      case FLOAT64:
        return this.#f64[(cell + 2) >> 1];
    }
    const length = i32[cell + 1]!;
    if (length === INT32_RECORD) return i32[cell + 2];
    if (length === FLOAT64_RECORD) return this.#f64[(cell + 2) >> 1];
    if (length < 1 || length > this.maxRecord) throw malformed(`a record length of ${length}`);
    return this.#decoder.decode(cell * 4 + CELL_HEADER, length);
  }

  // Starting from the hint: a stale one (behind ENQ) meets a cell that is
  // claimed (the CAS fails) or past its position (diff > 0); either way ENQ is
  // read again. "Full" is only trusted once the hint is ENQ itself.
  tryEnqueue(value: unknown, length: number, bytes: Uint8Array, start: number): number {
    const i32 = this.i32;
    let enq = this.#enqHint;
    for (;;) {
      if (enq & 1) return CLOSED_NOW;
      const cell = this.#cell(enq);
      const diff = (Atomics.load(i32, cell) - enq) | 0;
      if (diff === 0 && !(this.#exact && !this.#room(enq, 1))) {
        const seen = Atomics.compareExchange(i32, ENQ, enq, (enq + 2) | 0);
        if (seen === enq) {
          this.#enqHint = (enq + 2) | 0;
          this.#write(cell, value, length, bytes, start);
          Atomics.store(i32, cell, (enq + 1) | 0); // publish
          if (Atomics.load(i32, RECV_WAITERS) > 0) {
            Atomics.add(i32, DATA_SEQ, 1);
            Atomics.notify(i32, DATA_SEQ, 1);
          }
          return OK;
        }
        enq = seen;
      } else if (diff > 0) {
        enq = Atomics.load(i32, ENQ); // another sender took this position
      } else {
        // Full: the previous lap's record is still in this cell (or the exact capacity is reached).
        const now = Atomics.load(i32, ENQ);
        if (now === enq) return FULL;
        enq = now;
      }
    }
  }

  // With an exact capacity below the slot count: whether `k` more records fit
  // after doubled position `enq`. DEQ is read only when the cached lower bound says no.
  #room(enq: number, k: number): boolean {
    const limit = 2 * (this.capacity - k);
    let ahead = (enq - this.#deqSeen) | 0;
    if (ahead > limit || ahead < 0) {
      this.#deqSeen = Atomics.load(this.i32, DEQ);
      ahead = (enq - this.#deqSeen) | 0;
    }
    return ahead <= limit;
  }

  // Sends as many of values[from..] as there are free cells now, claiming them
  // with one CAS. Returns how many it sent (0 when full), or CLOSED_NOW.
  enqueueMany(values: readonly unknown[], batch: EncodedBatch, from: number): number {
    const i32 = this.i32;
    const left = values.length - from;
    if (left === 0) return 0;
    let enq = this.#enqHint;
    for (;;) {
      if (enq & 1) return CLOSED_NOW;
      const state = (Atomics.load(i32, this.#cell(enq)) - enq) | 0;
      if (state > 0) {
        enq = Atomics.load(i32, ENQ); // another sender took this position
        continue;
      }
      if (state < 0 || (this.#exact && !this.#room(enq, 1))) {
        const now = Atomics.load(i32, ENQ); // full, unless the hint was stale
        if (now === enq) return 0;
        enq = now;
        continue;
      }
      const want = this.#exact ? Math.min(left, this.capacity - (((enq - this.#deqSeen) | 0) >> 1)) : left;
      let k = 1;
      while (k < want && Atomics.load(i32, this.#cell((enq + 2 * k) | 0)) === ((enq + 2 * k) | 0)) k++;
      const seen = Atomics.compareExchange(i32, ENQ, enq, (enq + 2 * k) | 0);
      if (seen !== enq) {
        enq = seen;
        continue;
      }
      this.#enqHint = (enq + 2 * k) | 0;
      // Publish the first cell last, with the one atomic store of the batch
      // (see "Batches" at the top): the others' sequence words are plain writes.
      const { bytes, starts, lengths } = batch;
      const first = this.#cell(enq);
      if (this.type === INT32) {
        for (let i = 0; i < k; i++) {
          const position = (enq + 2 * i) | 0;
          const cell = this.#cell(position);
          i32[cell + 1] = values[from + i] as number;
          if (i > 0) i32[cell] = (position + 1) | 0;
        }
      } else {
        for (let i = 0; i < k; i++) {
          const position = (enq + 2 * i) | 0;
          const cell = this.#cell(position);
          const j = from + i;
          this.#write(cell, values[j], lengths[j] ?? 0, bytes, starts[j] ?? 0);
          if (i > 0) i32[cell] = (position + 1) | 0;
        }
      }
      Atomics.store(i32, first, (enq + 1) | 0); // publish the batch
      if (Atomics.load(i32, RECV_WAITERS) > 0) {
        Atomics.add(i32, DATA_SEQ, 1);
        Atomics.notify(i32, DATA_SEQ, k);
      }
      return k;
    }
  }

  // Starting from the hint, as #tryEnqueue does.
  tryDequeue(): unknown {
    const i32 = this.i32;
    let deq = this.#deqHint;
    for (;;) {
      const cell = this.#cell(deq);
      const diff = (Atomics.load(i32, cell) - ((deq + 1) | 0)) | 0;
      if (diff === 0) {
        const seen = Atomics.compareExchange(i32, DEQ, deq, (deq + 2) | 0);
        if (seen === deq) {
          this.#deqHint = (deq + 2) | 0;
          try {
            return this.#read(cell);
          } finally {
            Atomics.store(i32, cell, (deq + this.#lap) | 0); // free for the next lap
            if (Atomics.load(i32, SEND_WAITERS) > 0) {
              Atomics.add(i32, SPACE_SEQ, 1);
              Atomics.notify(i32, SPACE_SEQ, 1);
            }
          }
        }
        deq = seen;
      } else if (diff > 0) {
        deq = Atomics.load(i32, DEQ); // another receiver took this position
      } else {
        const now = Atomics.load(i32, DEQ);
        if (now === deq) return this.#emptyOrDrained(deq);
        deq = now;
      }
    }
  }

  // Nothing published at DEQ. Drained only if closed and no sender holds a claim.
  #emptyOrDrained(deq: number): typeof EMPTY | typeof DRAINED {
    if (Atomics.load(this.i32, CLOSED) === 0) return EMPTY;
    return (Atomics.load(this.i32, ENQ) & ~1) === deq ? DRAINED : EMPTY;
  }

  // Takes every published record at DEQ, up to `max`, with one CAS, into `out`.
  // Returns how many it took, or EMPTY / DRAINED.
  dequeueMany(max: number, out: unknown[]): number | typeof EMPTY | typeof DRAINED {
    const i32 = this.i32;
    let deq = this.#deqHint;
    for (;;) {
      const state = (Atomics.load(i32, this.#cell(deq)) - ((deq + 1) | 0)) | 0;
      if (state > 0) {
        deq = Atomics.load(i32, DEQ); // another receiver took this position
        continue;
      }
      if (state < 0) {
        const now = Atomics.load(i32, DEQ); // empty, unless the hint was stale
        if (now === deq) return this.#emptyOrDrained(deq);
        deq = now;
        continue;
      }
      let k = 1;
      while (k < max && Atomics.load(i32, this.#cell((deq + 2 * k) | 0)) === ((deq + 2 * k + 1) | 0)) k++;
      const seen = Atomics.compareExchange(i32, DEQ, deq, (deq + 2 * k) | 0);
      if (seen !== deq) {
        deq = seen;
        continue;
      }
      this.#deqHint = (deq + 2 * k) | 0;
      // All k are ours: read and free each, even past a malformed one. The
      // first cell is freed last, with the one atomic store of the batch.
      let failure: unknown;
      const lap = this.#lap;
      if (this.type === INT32) {
        for (let i = 0; i < k; i++) {
          const position = (deq + 2 * i) | 0;
          const cell = this.#cell(position);
          out.push(i32[cell + 1]);
          if (i > 0) i32[cell] = (position + lap) | 0;
        }
      } else {
        for (let i = 0; i < k; i++) {
          const position = (deq + 2 * i) | 0;
          const cell = this.#cell(position);
          try {
            out.push(this.#read(cell));
          } catch (error) {
            failure ??= error;
          }
          if (i > 0) i32[cell] = (position + lap) | 0;
        }
      }
      Atomics.store(i32, this.#cell(deq), (deq + lap) | 0); // free the batch
      if (Atomics.load(i32, SEND_WAITERS) > 0) {
        Atomics.add(i32, SPACE_SEQ, 1);
        Atomics.notify(i32, SPACE_SEQ, k);
      }
      if (failure instanceof SharedMalformedRecordError) {
        const cause = failure.cause === undefined ? undefined : { cause: failure.cause };
        throw new SharedMalformedRecordError(failure.message, cause, out);
      }
      if (failure !== undefined) throw failure;
      return k;
    }
  }
}

// Typed channels write numbers as they are: their "batch" has no bytes.
const TYPED_BATCH: EncodedBatch = {
  bytes: new Uint8Array(0),
  end: 0,
  starts: new Int32Array(0),
  lengths: new Int32Array(0),
};

/** Lays out a new ring's memory: `capacity` records of at most `maxRecord` bytes, or of a number type. */
export function layRing(capacity: number, maxRecord: number, type: number): SharedArrayBuffer {
  const slots = 2 ** Math.ceil(Math.log2(capacity));
  const stride = strideFor(type, maxRecord);
  const bytes = HEADER_BYTES + slots * stride;
  if (bytes > MAX_BYTES) {
    throw invalid('options.capacity x options.maxRecordSize', `at most ${MAX_BYTES} bytes of memory`, bytes);
  }
  const buffer = new SharedArrayBuffer(bytes);
  const header = new Int32Array(buffer, 0, HEADER_I32);
  header[CAPACITY] = capacity;
  header[SLOTS] = slots;
  header[STRIDE] = stride;
  header[MAX_RECORD] = maxRecord;
  header[TYPE] = type;
  const i32 = new Int32Array(buffer);
  for (let k = 0; k < slots; k++) i32[(HEADER_BYTES + k * stride) / 4] = 2 * k; // free for position k
  Atomics.store(header, MAGIC, MAGIC_VALUE);
  return buffer;
}

// A channel of any values: a cell is [seq, length, record bytes], rounded up
// to whole cache lines, so a sender filling one cell and a receiver reading
// its neighbour never write to the same line. A typed channel packs its
// cells: [seq, int32] or [seq, pad, float64], several to a line, so a
// receiver that is behind gets many records per line it pulls over.
function strideFor(type: number, maxRecord: number): number {
  if (type === INT32) return 8;
  if (type === FLOAT64) return 16;
  return Math.ceil((CELL_HEADER + maxRecord) / CACHE_LINE) * CACHE_LINE;
}

/** Whether `buffer` (from anywhere) is laid out as a ring. */
export function validRing(buffer: SharedArrayBuffer): boolean {
  if (buffer.byteLength < HEADER_BYTES) return false;
  const h = new Int32Array(buffer, 0, HEADER_I32);
  const [magic, capacity, slots, stride, maxRecord, type] = [
    h[MAGIC]!,
    h[CAPACITY]!,
    h[SLOTS]!,
    h[STRIDE]!,
    h[MAX_RECORD]!,
    h[TYPE]!,
  ];
  return (
    magic === MAGIC_VALUE &&
    type >= ANY &&
    type <= FLOAT64 &&
    (type === ANY ? maxRecord >= 16 && maxRecord <= MAX_RECORD_SIZE : maxRecord === (type === INT32 ? 4 : 8)) &&
    capacity >= 1 &&
    capacity <= slots &&
    slots > 0 &&
    slots <= MAX_CAPACITY &&
    (slots & (slots - 1)) === 0 &&
    stride === strideFor(type, maxRecord) &&
    buffer.byteLength === HEADER_BYTES + slots * stride
  );
}
