// Channel: a bounded multi-producer multi-consumer queue of encoded records in
// a SharedArrayBuffer ring (Dmitry Vyukov's bounded MPMC queue), with futex
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
//            it, write length and bytes, then store seq = P + 1 (publish).
//            seq < P: the previous lap's record is still there: full.
//   receive: read DEQ = D; if seq == D + 1, CAS DEQ D -> D + 2 to claim it,
//            decode, then store seq = D + 2 * slots (free). seq < D + 1: empty
//            (or a sender claimed D and is still writing it).
// The CAS hands each position to exactly one sender and one receiver; the
// sequence word orders the payload writes before the reads (Atomics.store and
// Atomics.load are sequentially consistent, so plain writes made before the
// store are visible after a load that sees it). When `capacity` is not a
// power of two, senders also check ENQ - DEQ < capacity so the bound is exact.
//
// Waiting. A blocked sender sleeps on SPACE_SEQ, a blocked receiver on
// DATA_SEQ. Each side first adds itself to SEND_WAITERS / RECV_WAITERS, then
// reads the *_SEQ word, then tries once more, and only then sleeps while
// *_SEQ still holds what it read. After every receive (send) the other side
// checks SEND_WAITERS (RECV_WAITERS) and, if non-zero, bumps SPACE_SEQ
// (DATA_SEQ) and notifies one sleeper. Same argument as Semaphore: the waiter
// writes its counter then reads the ring; the peer writes the ring then reads
// the counter; with sequentially consistent atomics one of them sees the
// other, so either the retry succeeds, or the bump makes the sleep return at
// once, or the notify wakes it. Without waiters the fast path never calls
// Atomics.notify. close() sets the bit, bumps both words and wakes everyone.
import { SharedAbortedError, SharedChannelClosedError } from '../errors/index.js';
import { knownOptions } from '../util/known.js';
import { Decoder, encode } from './codec.js';
import { type Layout, revive, SharedPrimitive } from './handle.js';
import { checkCount, signalOptions, type WaitOptions, waitOptions } from './options.js';
import { runAsync, runSync, type Steps, throwIfAborted } from './wait.js';

// Header, in Int32 indices; the hot words sit on their own 64-byte lines.
const MAGIC = 0;
const CAPACITY = 1;
const SLOTS = 2;
const STRIDE = 3; // bytes per cell
const MAX_RECORD = 4;
const ENQ = 16;
const DEQ = 32;
const RECV_WAITERS = 48;
const DATA_SEQ = 49;
const SEND_WAITERS = 64;
const SPACE_SEQ = 65;
// Exported for the tests that write crafted records into a cell.
export const HEADER_BYTES = 320;
export const CELL_HEADER = 8; // seq, length
const CACHE_LINE = 64;
const MAGIC_VALUE = 0x53504331; // "SPC1": layout version 1

export const MAX_CAPACITY = 2 ** 20;
export const MAX_RECORD_SIZE = 2 ** 26;
const MAX_BYTES = 2 ** 31 - 1;

// Tries before a blocked send or receive registers as a waiter and sleeps.
// When the other side is active this avoids a futex wake-up per record, which
// costs the waking thread a syscall each time; spinning longer only burns CPU.
const SPINS = 100;

const CHANNEL_OPTIONS: ReadonlySet<string> = new Set(['capacity', 'maxRecordSize']);

const OK = 0;
const FULL = 1;
const CLOSED = 2;
const EMPTY = Symbol('empty');
const DRAINED = Symbol('drained');

export interface ChannelOptions {
  /** Most records the channel holds before `send` waits (default 128, at most 2^20). */
  capacity?: number;
  /** Largest encoded record in bytes (default 1024, at most 64 MiB). Memory used is about capacity x this. */
  maxRecordSize?: number;
}

/** What `tryReceive()` returns. */
export type TryReceiveResult<T> = { ok: true; value: T } | { ok: false; closed: boolean };

/** A bounded queue of structured values between any number of threads. */
export class Channel<T = unknown> extends SharedPrimitive<'Channel'> {
  static readonly layout: Layout<'Channel'> = { kind: 'Channel', valid: validLayout };
  readonly #i32: Int32Array;
  readonly #u8: Uint8Array;
  readonly #decoder: Decoder;
  readonly #capacity: number;
  readonly #mask: number;
  readonly #lap: number; // 2 * slots
  readonly #strideI32: number;
  readonly #maxRecord: number;
  readonly #exact: boolean; // capacity < slots: check ENQ - DEQ too
  #deqSeen = 0; // a lower bound of DEQ, so the exact check rarely reads DEQ

  constructor(options?: ChannelOptions) {
    super(Channel.layout, () => create(options));
    const buffer = this.buffer;
    this.#i32 = new Int32Array(buffer);
    this.#u8 = new Uint8Array(buffer);
    this.#decoder = new Decoder(buffer);
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

  /** Largest encoded record, in bytes. */
  get maxRecordSize(): number {
    return this.#maxRecord;
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
      if (enq & 1) return;
      const seen = Atomics.compareExchange(i32, ENQ, enq, enq | 1);
      if (seen === enq) break;
      enq = seen;
    }
    Atomics.add(i32, DATA_SEQ, 1);
    Atomics.notify(i32, DATA_SEQ);
    Atomics.add(i32, SPACE_SEQ, 1);
    Atomics.notify(i32, SPACE_SEQ);
  }

  /** Sends `value` if there is room now; false when full. */
  trySend(value: T): boolean {
    const record = this.#encode(value);
    const r = this.#tryEnqueue(record.bytes, record.length);
    if (r === CLOSED) throw new SharedChannelClosedError();
    return r === OK;
  }

  /** Sends `value`, waiting for room without blocking the event loop. */
  async send(value: T, options?: WaitOptions): Promise<void> {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Channel.send');
    const record = this.#encode(value);
    const r = this.#tryEnqueue(record.bytes, record.length);
    if (r === OK) return;
    if (r === CLOSED) throw new SharedChannelClosedError();
    // The scratch bytes are reused by the next encode on this thread: keep a copy while waiting.
    const bytes = record.bytes.slice(0, record.length);
    await runAsync(this.#i32, this.#sendSteps(bytes, bytes.length), wait, 'Channel.send');
  }

  /** Sends `value`, blocking the thread while the channel is full. */
  sendSync(value: T, options?: WaitOptions): void {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Channel.sendSync');
    const record = this.#encode(value);
    const r = this.#tryEnqueue(record.bytes, record.length);
    if (r === OK) return;
    if (r === CLOSED) throw new SharedChannelClosedError();
    runSync(this.#i32, this.#sendSteps(record.bytes, record.length), wait, 'Channel.sendSync');
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
        const r = this.#tryDequeue();
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

  #encode(value: T): { bytes: Uint8Array; length: number } {
    if (Atomics.load(this.#i32, ENQ) & 1) throw new SharedChannelClosedError();
    return encode(value, this.#maxRecord);
  }

  #cell(position: number): number {
    return HEADER_BYTES / 4 + ((position >>> 1) & this.#mask) * this.#strideI32;
  }

  #tryEnqueue(bytes: Uint8Array, length: number): number {
    const i32 = this.#i32;
    let enq = Atomics.load(i32, ENQ);
    for (;;) {
      if (enq & 1) return CLOSED;
      if (this.#exact) {
        let ahead = (enq - this.#deqSeen) | 0;
        if (ahead >= 2 * this.#capacity || ahead < 0) {
          this.#deqSeen = Atomics.load(i32, DEQ);
          ahead = (enq - this.#deqSeen) | 0;
          if (ahead >= 2 * this.#capacity) return FULL;
        }
      }
      const cell = this.#cell(enq);
      const diff = (Atomics.load(i32, cell) - enq) | 0;
      if (diff === 0) {
        const seen = Atomics.compareExchange(i32, ENQ, enq, (enq + 2) | 0);
        if (seen === enq) {
          i32[cell + 1] = length;
          const at = cell * 4 + CELL_HEADER;
          if (length <= 64) {
            const u8 = this.#u8;
            for (let k = 0; k < length; k++) u8[at + k] = bytes[k]!;
          } else {
            this.#u8.set(bytes.subarray(0, length), at);
          }
          Atomics.store(i32, cell, (enq + 1) | 0); // publish
          if (Atomics.load(i32, RECV_WAITERS) > 0) {
            Atomics.add(i32, DATA_SEQ, 1);
            Atomics.notify(i32, DATA_SEQ, 1);
          }
          return OK;
        }
        enq = seen;
      } else if (diff < 0) {
        return FULL; // the previous lap's record is still in this cell
      } else {
        enq = Atomics.load(i32, ENQ); // another sender took this position
      }
    }
  }

  #tryDequeue(): unknown {
    const i32 = this.#i32;
    let deq = Atomics.load(i32, DEQ);
    for (;;) {
      const cell = this.#cell(deq);
      const diff = (Atomics.load(i32, cell) - ((deq + 1) | 0)) | 0;
      if (diff === 0) {
        const seen = Atomics.compareExchange(i32, DEQ, deq, (deq + 2) | 0);
        if (seen === deq) {
          try {
            const length = i32[cell + 1]!;
            if (length > this.#maxRecord) this.#decoder.decode(0, -1); // throws: the cell does not hold that much
            return this.#decoder.decode(cell * 4 + CELL_HEADER, length);
          } finally {
            Atomics.store(i32, cell, (deq + this.#lap) | 0); // free for the next lap
            if (Atomics.load(i32, SEND_WAITERS) > 0) {
              Atomics.add(i32, SPACE_SEQ, 1);
              Atomics.notify(i32, SPACE_SEQ, 1);
            }
          }
        }
        deq = seen;
      } else if (diff < 0) {
        // Nothing published at DEQ. Drained only if closed and no sender holds a claim.
        const enq = Atomics.load(i32, ENQ);
        return enq & 1 && (enq & ~1) === deq ? DRAINED : EMPTY;
      } else {
        deq = Atomics.load(i32, DEQ); // another receiver took this position
      }
    }
  }

  *#sendSteps(bytes: Uint8Array, length: number): Steps<void> {
    const i32 = this.#i32;
    for (let i = 0; i < SPINS; i++) {
      const enq = Atomics.load(i32, ENQ);
      if (!(enq & 1) && ((Atomics.load(i32, this.#cell(enq)) - enq) | 0) < 0) continue; // still full
      const r = this.#tryEnqueue(bytes, length);
      if (r === OK) return;
      if (r === CLOSED) throw new SharedChannelClosedError();
    }
    for (;;) {
      Atomics.add(i32, SEND_WAITERS, 1);
      try {
        const seq = Atomics.load(i32, SPACE_SEQ);
        const r = this.#tryEnqueue(bytes, length);
        if (r === OK) return;
        if (r === CLOSED) throw new SharedChannelClosedError();
        yield [SPACE_SEQ, seq];
      } finally {
        Atomics.sub(i32, SEND_WAITERS, 1);
      }
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
}

// Checks the options and lays out a new channel's memory.
function create(options: ChannelOptions | undefined): SharedArrayBuffer {
  const o = knownOptions('options', options, CHANNEL_OPTIONS);
  const capacity = checkCount('options.capacity', o?.capacity ?? 128, 1, MAX_CAPACITY);
  const maxRecord = checkCount('options.maxRecordSize', o?.maxRecordSize ?? 1024, 16, MAX_RECORD_SIZE);
  const slots = 2 ** Math.ceil(Math.log2(capacity));
  const stride = strideFor(maxRecord);
  const bytes = HEADER_BYTES + slots * stride;
  if (bytes > MAX_BYTES) checkCount('options.capacity x options.maxRecordSize', bytes, 0, MAX_BYTES);
  const buffer = new SharedArrayBuffer(bytes);
  const header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
  header[CAPACITY] = capacity;
  header[SLOTS] = slots;
  header[STRIDE] = stride;
  header[MAX_RECORD] = maxRecord;
  const i32 = new Int32Array(buffer);
  for (let k = 0; k < slots; k++) i32[(HEADER_BYTES + k * stride) / 4] = 2 * k; // free for position k
  Atomics.store(header, MAGIC, MAGIC_VALUE);
  return buffer;
}

// Cells are whole cache lines, so a sender filling one cell and a receiver
// reading its neighbour never write to the same line (false sharing).
function strideFor(maxRecord: number): number {
  return Math.ceil((CELL_HEADER + maxRecord) / CACHE_LINE) * CACHE_LINE;
}

function validLayout(buffer: SharedArrayBuffer): boolean {
  if (buffer.byteLength < HEADER_BYTES) return false;
  const h = new Int32Array(buffer, 0, HEADER_BYTES / 4);
  const [magic, capacity, slots, stride, maxRecord] = [h[MAGIC]!, h[CAPACITY]!, h[SLOTS]!, h[STRIDE]!, h[MAX_RECORD]!];
  return (
    magic === MAGIC_VALUE &&
    capacity >= 1 &&
    capacity <= slots &&
    slots > 0 &&
    (slots & (slots - 1)) === 0 &&
    stride === strideFor(maxRecord) &&
    buffer.byteLength === HEADER_BYTES + slots * stride
  );
}
