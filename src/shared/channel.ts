// Channel: a bounded multi-producer multi-consumer queue of records in a
// SharedArrayBuffer ring (Dmitry Vyukov's bounded MPMC queue), with futex
// waits for "full" and "empty".
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
// Batches. sendMany claims k consecutive free cells with one CAS (ENQ P ->
// P + 2k): the cells were seen free and ENQ had not moved, so all k are its
// own. receiveMany claims the k consecutive published cells at DEQ the same
// way. The other side's waiters are checked once per batch, not per record.
//
// Waiting. A blocked sender sleeps on SPACE_SEQ, a blocked receiver on
// DATA_SEQ. Each side first adds itself to SEND_WAITERS / RECV_WAITERS, then
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
import {
  SharedAbortedError,
  SharedChannelClosedError,
  SharedMalformedRecordError,
  SharedTimeoutError,
  SharedUnsupportedValueError,
} from '../errors/index.js';
import { knownOptions } from '../util/known.js';
import { describe, invalid } from '../util/validate.js';
import {
  Decoder,
  type EncodedBatch,
  encode,
  encoded,
  encodeMany,
  FLOAT64_RECORD,
  INT32_RECORD,
  isInt32,
  malformed,
} from './codec.js';
import { type Layout, revive, SharedPrimitive } from './handle.js';
import { checkCount, signalOptions, type WaitOptions, waitOptions } from './options.js';
import { runAsync, runSync, type Steps, throwIfAborted } from './wait.js';

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
const RECV_WAITERS = 96;
const DATA_SEQ = 97;
const SEND_WAITERS = 128;
const SPACE_SEQ = 129;
// Exported for the tests that write crafted records into a cell.
export const HEADER_BYTES = 640;
export const CELL_HEADER = 8; // seq, length (a channel of any values)
const HEADER_I32 = HEADER_BYTES / 4;
const CACHE_LINE = 64;
const MAGIC_VALUE = 0x53504332; // "SPC2": layout version 2

export const MAX_CAPACITY = 2 ** 20;
export const MAX_RECORD_SIZE = 2 ** 26;
const MAX_BYTES = 2 ** 31 - 1;

/** What a channel carries: any structured value, or only numbers of one type (no encoding at all). */
export type ChannelType = 'any' | 'int32' | 'float64';
const TYPES: readonly ChannelType[] = ['any', 'int32', 'float64'];
const ANY = 0;
const INT32 = 1;
const FLOAT64 = 2;

// Tries before a blocked send or receive registers as a waiter and sleeps.
// When the other side is active this avoids a futex wake-up per record, which
// costs the waking thread a syscall each time; spinning longer only burns CPU.
const SPINS = 100;

const CHANNEL_OPTIONS: ReadonlySet<string> = new Set(['capacity', 'maxRecordSize', 'type']);

const OK = 0;
const FULL = 1;
const CLOSED_NOW = -1;
const EMPTY = Symbol('empty');
const DRAINED = Symbol('drained');

export interface ChannelOptions {
  /** Most records the channel holds before `send` waits (default 128, at most 2^20). */
  capacity?: number;
  /**
   * Largest encoded record in bytes (default 1024, at most 64 MiB). Memory used
   * is about capacity x this. Only for channels of type 'any'.
   */
  maxRecordSize?: number;
  /**
   * 'any' (default): structured values. 'int32' or 'float64': numbers only,
   * stored as they are, 8 or 16 bytes a record, with no encoding.
   */
  type?: ChannelType;
}

/** What `tryReceive()` returns. */
export type TryReceiveResult<T> = { ok: true; value: T } | { ok: false; closed: boolean };

/** A bounded queue of structured values between any number of threads. */
export class Channel<T = unknown> extends SharedPrimitive<'Channel'> {
  static readonly layout: Layout<'Channel'> = { kind: 'Channel', valid: validLayout };
  readonly #i32: Int32Array;
  readonly #u8: Uint8Array;
  readonly #f64: Float64Array;
  readonly #decoder: Decoder;
  readonly #type: number;
  readonly #capacity: number;
  readonly #mask: number;
  readonly #lap: number; // 2 * slots
  readonly #strideI32: number;
  readonly #maxRecord: number;
  readonly #exact: boolean; // capacity < slots: check ENQ - DEQ too
  #deqSeen = 0; // a lower bound of DEQ, so the exact check rarely reads DEQ
  // Where this instance's last send and receive left ENQ and DEQ: usually
  // still right (one sender, one receiver), which saves a load of the shared
  // word; when another thread moved it, the CAS fails and says where it is.
  #enqHint = 0;
  #deqHint = 0;

  constructor(options?: ChannelOptions) {
    super(Channel.layout, () => create(options));
    const buffer = this.buffer;
    this.#i32 = new Int32Array(buffer);
    this.#u8 = new Uint8Array(buffer);
    this.#f64 = new Float64Array(buffer, 0, buffer.byteLength >> 3);
    this.#decoder = new Decoder(buffer);
    this.#type = this.#i32[TYPE]!;
    this.#capacity = this.#i32[CAPACITY]!;
    const slots = this.#i32[SLOTS]!;
    this.#mask = slots - 1;
    this.#lap = 2 * slots;
    this.#strideI32 = this.#i32[STRIDE]! / 4;
    this.#maxRecord = this.#i32[MAX_RECORD]!;
    this.#exact = this.#capacity !== slots;
  }

  /** Accepts a Channel or its structured-clone form and returns a Channel over the same memory. */
  static from<T = unknown>(value: unknown): Channel<T> {
    return revive(Channel, value) as Channel<T>;
  }

  /** Most records the channel holds. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Largest record, in bytes (4 or 8 for a typed channel). */
  get maxRecordSize(): number {
    return this.#maxRecord;
  }

  /** What the channel carries: 'any', 'int32' or 'float64'. */
  get type(): ChannelType {
    return TYPES[this.#type]!;
  }

  /** Records in the channel right now, counting ones being written or read (a snapshot). */
  get size(): number {
    // DEQ first: ENQ read later is never behind it. The two reads are not one
    // snapshot, so clamp what other threads moved in between.
    const deq = Atomics.load(this.#i32, DEQ);
    const ahead = ((Atomics.load(this.#i32, ENQ) & ~1) - deq) | 0;
    return Math.min(Math.max(ahead >> 1, 0), this.#capacity);
  }

  /** Threads or async calls waiting to send and to receive right now (a snapshot, for monitoring). */
  get waiting(): { senders: number; receivers: number } {
    return { senders: Atomics.load(this.#i32, SEND_WAITERS), receivers: Atomics.load(this.#i32, RECV_WAITERS) };
  }

  /** Whether `close()` has been called (records may remain to be received). */
  get closed(): boolean {
    return (Atomics.load(this.#i32, ENQ) & 1) === 1;
  }

  /**
   * Stops sending: later sends throw ERR_SHARED_CHANNEL_CLOSED, receivers get
   * what is left and then ERR_SHARED_CHANNEL_CLOSED, and every waiter wakes. Idempotent.
   */
  close(): void {
    const i32 = this.#i32;
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

  /** Sends `value` if there is room now; false when full. */
  trySend(value: T): boolean {
    const length = this.#prepare(value);
    const r = this.#tryEnqueue(value, length, encoded.bytes, 0);
    if (r === CLOSED_NOW) throw new SharedChannelClosedError(0);
    return r === OK;
  }

  /** Sends `value`, waiting for room without blocking the event loop. */
  async send(value: T, options?: WaitOptions): Promise<void> {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Channel.send');
    const length = this.#prepare(value);
    const r = this.#tryEnqueue(value, length, encoded.bytes, 0);
    if (r === OK) return;
    if (r === CLOSED_NOW) throw new SharedChannelClosedError(0);
    // The scratch bytes are reused by the next encode on this thread: keep a copy while waiting.
    const bytes = length > 0 ? encoded.bytes.slice(0, length) : encoded.bytes;
    await runAsync(this.#i32, this.#sendSteps(value, length, bytes), wait, 'Channel.send');
  }

  /** Sends `value`, blocking the thread while the channel is full. */
  sendSync(value: T, options?: WaitOptions): void {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Channel.sendSync');
    const length = this.#prepare(value);
    const r = this.#tryEnqueue(value, length, encoded.bytes, 0);
    if (r === OK) return;
    if (r === CLOSED_NOW) throw new SharedChannelClosedError(0);
    runSync(this.#i32, this.#sendSteps(value, length, encoded.bytes), wait, 'Channel.sendSync');
  }

  /**
   * Sends every value of `values`, in order, waiting for room as `send` does,
   * without blocking the event loop. Every value is checked (encoded) before
   * any is sent: one that is too large or cannot travel fails the call with
   * nothing sent. Values of other senders may come in between. A close, a
   * timeout or an abort part-way fails the call with `err.sent` values sent
   * (those are received).
   */
  async sendMany(values: readonly T[], options?: WaitOptions): Promise<void> {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Channel.sendMany');
    const batch = this.#prepareMany(values);
    const state = { sent: this.#enqueueMany(values, batch, 0) };
    if (state.sent === values.length) return;
    if (state.sent === CLOSED_NOW) throw new SharedChannelClosedError(0);
    // The batch's bytes are this thread's scratch: keep a copy while waiting.
    const kept = batch.end > 0 ? { ...batch, bytes: batch.bytes.slice(0, batch.end) } : batch;
    const operation = 'Channel.sendMany';
    await runAsync(this.#i32, this.#sendManySteps(values, kept, state, operation), wait, operation);
  }

  /** Blocking form of `sendMany()`: the thread waits while the channel is full. */
  sendManySync(values: readonly T[], options?: WaitOptions): void {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Channel.sendManySync');
    const batch = this.#prepareMany(values);
    const state = { sent: this.#enqueueMany(values, batch, 0) };
    if (state.sent === values.length) return;
    if (state.sent === CLOSED_NOW) throw new SharedChannelClosedError(0);
    const operation = 'Channel.sendManySync';
    runSync(this.#i32, this.#sendManySteps(values, batch, state, operation), wait, operation);
  }

  /** Takes a record if one is ready now. */
  tryReceive(): TryReceiveResult<T> {
    const r = this.#tryDequeue();
    if (r === EMPTY) return { ok: false, closed: false };
    if (r === DRAINED) return { ok: false, closed: true };
    return { ok: true, value: r as T };
  }

  /** Receives the next record, waiting without blocking the event loop. Rejects with ERR_SHARED_CHANNEL_CLOSED once closed and drained. */
  async receive(options?: WaitOptions): Promise<T> {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Channel.receive');
    const r = this.#tryDequeue();
    if (r === DRAINED) throw new SharedChannelClosedError();
    if (r !== EMPTY) return r as T;
    return runAsync(this.#i32, this.#receiveSteps(), wait, 'Channel.receive');
  }

  /** Receives the next record, blocking the thread while the channel is empty. */
  receiveSync(options?: WaitOptions): T {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Channel.receiveSync');
    const r = this.#tryDequeue();
    if (r === DRAINED) throw new SharedChannelClosedError();
    if (r !== EMPTY) return r as T;
    return runSync(this.#i32, this.#receiveSteps(), wait, 'Channel.receiveSync');
  }

  /**
   * Waits, without blocking the event loop, until at least one record is
   * there, then returns every record there is, up to `max`, without waiting
   * for more. On a closed, drained channel it rejects as `receive` does.
   */
  async receiveMany(max: number, options?: WaitOptions): Promise<T[]> {
    checkCount('max', max, 1);
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Channel.receiveMany');
    const out: T[] = [];
    const r = this.#dequeueMany(max, out);
    if (r === DRAINED) throw new SharedChannelClosedError();
    if (r !== EMPTY) return out;
    return runAsync(this.#i32, this.#receiveManySteps(max, out), wait, 'Channel.receiveMany');
  }

  /** Blocking form of `receiveMany()`. */
  receiveManySync(max: number, options?: WaitOptions): T[] {
    checkCount('max', max, 1);
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Channel.receiveManySync');
    const out: T[] = [];
    const r = this.#dequeueMany(max, out);
    if (r === DRAINED) throw new SharedChannelClosedError();
    if (r !== EMPTY) return out;
    return runSync(this.#i32, this.#receiveManySteps(max, out), wait, 'Channel.receiveManySync');
  }

  /**
   * Async iteration over received records; ends when the channel is closed and
   * drained. Hand-written rather than an async generator: records that are
   * already there cost one resolved promise each instead of several.
   */
  values(options?: Pick<WaitOptions, 'signal'>): AsyncIterableIterator<T> {
    const wait = signalOptions(options);
    let done = false;
    const end = (): IteratorResult<T> => {
      done = true;
      return { value: undefined, done: true };
    };
    const iterator: AsyncIterableIterator<T> = {
      next: (): Promise<IteratorResult<T>> => {
        if (done) return Promise.resolve({ value: undefined, done: true });
        if (wait.signal?.aborted) return Promise.reject(new SharedAbortedError('Channel.values', wait.signal.reason));
        let r: unknown;
        try {
          r = this.#tryDequeue();
        } catch (error) {
          return Promise.reject(error);
        }
        if (r === DRAINED) return Promise.resolve(end());
        if (r !== EMPTY) return Promise.resolve({ value: r as T, done: false });
        return runAsync(this.#i32, this.#receiveSteps(), wait, 'Channel.values').then(
          (value): IteratorResult<T> => ({ value, done: false }),
          (error) => {
            if (error instanceof SharedChannelClosedError) return end();
            throw error;
          },
        );
      },
      return: () => Promise.resolve(end()),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Blocking iteration over received records (for workers); ends when closed and drained. */
  *valuesSync(): Generator<T, void, undefined> {
    for (;;) {
      let value: T;
      try {
        value = this.receiveSync();
      } catch (error) {
        if (error instanceof SharedChannelClosedError) return;
        throw error;
      }
      yield value;
    }
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this.values();
  }

  // Checks `value` for this channel and encodes it (into the thread's scratch,
  // `encoded.bytes`) when it needs encoding. Returns the record's length, or
  // INT32_RECORD / FLOAT64_RECORD for a number stored as it is.
  #prepare(value: unknown): number {
    const type = this.#type;
    if (type === ANY) {
      if (typeof value === 'number') return isInt32(value) ? INT32_RECORD : FLOAT64_RECORD;
      return encode(value, this.#maxRecord).length;
    }
    if (typeof value !== 'number' || (type === INT32 && (value | 0) !== value)) throw this.#notOfType(value);
    return type === INT32 ? INT32_RECORD : FLOAT64_RECORD;
  }

  #prepareMany(values: readonly T[]): EncodedBatch {
    if (!Array.isArray(values)) throw invalid('values', 'an array', values);
    if (Atomics.load(this.#i32, ENQ) & 1) throw new SharedChannelClosedError(0);
    if (this.#type === ANY) return encodeMany(values, this.#maxRecord, true);
    for (let i = 0; i < values.length; i++) this.#prepare(values[i]);
    return TYPED_BATCH;
  }

  #notOfType(value: unknown): SharedUnsupportedValueError {
    const what = this.#type === INT32 ? 'an integer from -2^31 to 2^31 - 1' : 'a number';
    return new SharedUnsupportedValueError(
      `Cannot send ${describe(value)} through a channel of type '${this.type}': it carries only ${what}`,
    );
  }

  #cell(position: number): number {
    return HEADER_I32 + ((position >>> 1) & this.#mask) * this.#strideI32;
  }

  // Writes a prepared record into its claimed cell (before the publishing store).
  #write(cell: number, value: unknown, length: number, bytes: Uint8Array, start: number): void {
    const i32 = this.#i32;
    switch (this.#type) {
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
    const i32 = this.#i32;
    switch (this.#type) {
      case INT32:
        return i32[cell + 1];
      case FLOAT64:
        return this.#f64[(cell + 2) >> 1];
    }
    const length = i32[cell + 1]!;
    if (length === INT32_RECORD) return i32[cell + 2];
    if (length === FLOAT64_RECORD) return this.#f64[(cell + 2) >> 1];
    if (length < 1 || length > this.#maxRecord) throw malformed(`a record length of ${length}`);
    return this.#decoder.decode(cell * 4 + CELL_HEADER, length);
  }

  // Starting from the hint: a stale one (behind ENQ) meets a cell that is
  // claimed (the CAS fails) or past its position (diff > 0); either way ENQ is
  // read again. "Full" is only trusted once the hint is ENQ itself.
  #tryEnqueue(value: unknown, length: number, bytes: Uint8Array, start: number): number {
    const i32 = this.#i32;
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
    const limit = 2 * (this.#capacity - k);
    let ahead = (enq - this.#deqSeen) | 0;
    if (ahead > limit || ahead < 0) {
      this.#deqSeen = Atomics.load(this.#i32, DEQ);
      ahead = (enq - this.#deqSeen) | 0;
    }
    return ahead <= limit;
  }

  // Sends as many of values[from..] as there are free cells now, claiming them
  // with one CAS. Returns how many it sent (0 when full), or CLOSED_NOW.
  #enqueueMany(values: readonly unknown[], batch: EncodedBatch, from: number): number {
    const i32 = this.#i32;
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
      const want = this.#exact ? Math.min(left, this.#capacity - (((enq - this.#deqSeen) | 0) >> 1)) : left;
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
      if (this.#type === INT32) {
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
  #tryDequeue(): unknown {
    const i32 = this.#i32;
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
    if (Atomics.load(this.#i32, CLOSED) === 0) return EMPTY;
    return (Atomics.load(this.#i32, ENQ) & ~1) === deq ? DRAINED : EMPTY;
  }

  // Takes every published record at DEQ, up to `max`, with one CAS, into `out`.
  // Returns how many it took, or EMPTY / DRAINED.
  #dequeueMany(max: number, out: unknown[]): number | typeof EMPTY | typeof DRAINED {
    const i32 = this.#i32;
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
      if (this.#type === INT32) {
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

  *#sendSteps(value: unknown, length: number, bytes: Uint8Array): Steps<void> {
    const i32 = this.#i32;
    for (let i = 0; i < SPINS; i++) {
      const enq = Atomics.load(i32, ENQ);
      if (!(enq & 1) && ((Atomics.load(i32, this.#cell(enq)) - enq) | 0) < 0) continue; // still full
      const r = this.#tryEnqueue(value, length, bytes, 0);
      if (r === OK) return;
      if (r === CLOSED_NOW) throw new SharedChannelClosedError(0);
    }
    for (;;) {
      Atomics.add(i32, SEND_WAITERS, 1);
      try {
        const seq = Atomics.load(i32, SPACE_SEQ);
        const r = this.#tryEnqueue(value, length, bytes, 0);
        if (r === OK) return;
        if (r === CLOSED_NOW) throw new SharedChannelClosedError(0);
        yield [SPACE_SEQ, seq];
      } finally {
        Atomics.sub(i32, SEND_WAITERS, 1);
      }
    }
  }

  // Sends the rest of a batch; `state.sent` counts what is in the channel so far.
  *#sendManySteps(
    values: readonly unknown[],
    batch: EncodedBatch,
    state: { sent: number },
    operation: string,
  ): Steps<void> {
    const i32 = this.#i32;
    const total = values.length;
    const more = (): boolean => {
      const n = this.#enqueueMany(values, batch, state.sent);
      if (n === CLOSED_NOW) throw new SharedChannelClosedError(state.sent);
      state.sent += n;
      return state.sent < total;
    };
    try {
      for (let i = 0; i < SPINS; i++) {
        const enq = Atomics.load(i32, ENQ);
        if (!(enq & 1) && ((Atomics.load(i32, this.#cell(enq)) - enq) | 0) < 0) continue; // still full
        const before = state.sent;
        if (!more()) return;
        if (state.sent > before) i = 0; // progress: keep watching
      }
      for (;;) {
        Atomics.add(i32, SEND_WAITERS, 1);
        try {
          const seq = Atomics.load(i32, SPACE_SEQ);
          if (!more()) return;
          yield [SPACE_SEQ, seq];
        } finally {
          Atomics.sub(i32, SEND_WAITERS, 1);
        }
      }
    } catch (error) {
      // A timeout or an abort part-way says how many values went.
      if (error instanceof SharedTimeoutError && error.sent === null) {
        throw new SharedTimeoutError(operation, error.timeout, state.sent);
      }
      if (error instanceof SharedAbortedError && error.sent === null) {
        throw new SharedAbortedError(operation, error.cause, state.sent);
      }
      throw error;
    }
  }

  *#receiveSteps(): Steps<T> {
    const i32 = this.#i32;
    for (let i = 0; i < SPINS; i++) {
      // Watch only the next cell's sequence word: reading ENQ here too would
      // pull the senders' hot line away from them on every spin.
      const deq = Atomics.load(i32, DEQ);
      if (((Atomics.load(i32, this.#cell(deq)) - deq - 1) | 0) < 0) continue;
      const r = this.#tryDequeue();
      if (r === DRAINED) throw new SharedChannelClosedError();
      if (r !== EMPTY) return r as T;
    }
    for (;;) {
      Atomics.add(i32, RECV_WAITERS, 1);
      try {
        const seq = Atomics.load(i32, DATA_SEQ);
        const r = this.#tryDequeue();
        if (r === DRAINED) throw new SharedChannelClosedError();
        if (r !== EMPTY) return r as T;
        yield [DATA_SEQ, seq];
      } finally {
        Atomics.sub(i32, RECV_WAITERS, 1);
      }
    }
  }

  *#receiveManySteps(max: number, out: T[]): Steps<T[]> {
    const i32 = this.#i32;
    for (let i = 0; i < SPINS; i++) {
      const deq = Atomics.load(i32, DEQ);
      if (((Atomics.load(i32, this.#cell(deq)) - deq - 1) | 0) < 0) continue;
      const r = this.#dequeueMany(max, out);
      if (r === DRAINED) throw new SharedChannelClosedError();
      if (r !== EMPTY) return out;
    }
    for (;;) {
      Atomics.add(i32, RECV_WAITERS, 1);
      try {
        const seq = Atomics.load(i32, DATA_SEQ);
        const r = this.#dequeueMany(max, out);
        if (r === DRAINED) throw new SharedChannelClosedError();
        if (r !== EMPTY) return out;
        yield [DATA_SEQ, seq];
      } finally {
        Atomics.sub(i32, RECV_WAITERS, 1);
      }
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

// Checks the options and lays out a new channel's memory.
function create(options: ChannelOptions | undefined): SharedArrayBuffer {
  const o = knownOptions('options', options, CHANNEL_OPTIONS);
  const type = o?.type === undefined ? ANY : TYPES.indexOf(checkType(o.type));
  const capacity = checkCount('options.capacity', o?.capacity ?? 128, 1, MAX_CAPACITY);
  let maxRecord: number;
  if (type === ANY) {
    maxRecord = checkCount('options.maxRecordSize', o?.maxRecordSize ?? 1024, 16, MAX_RECORD_SIZE);
  } else {
    if (o?.maxRecordSize !== undefined) {
      throw invalid('options.maxRecordSize', `left out for a channel of type '${TYPES[type]}'`, o.maxRecordSize);
    }
    maxRecord = type === INT32 ? 4 : 8;
  }
  const slots = 2 ** Math.ceil(Math.log2(capacity));
  const stride = strideFor(type, maxRecord);
  const bytes = HEADER_BYTES + slots * stride;
  if (bytes > MAX_BYTES) checkCount('options.capacity x options.maxRecordSize', bytes, 0, MAX_BYTES);
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

function checkType(value: unknown): ChannelType {
  if (typeof value === 'string' && (TYPES as readonly string[]).includes(value)) return value as ChannelType;
  throw invalid('options.type', `one of ${TYPES.map((t) => `'${t}'`).join(', ')}`, value);
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

function validLayout(buffer: SharedArrayBuffer): boolean {
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
