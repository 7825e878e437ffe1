// Channel: a bounded multi-producer multi-consumer queue of structured values
// between threads, on a ring in shared memory (ring.ts, where the lock-free
// protocol and the batch publishing argument are), with futex waits for
// "full" and "empty" written here, once, as generators (wait.ts drives them).
import { SharedAbortedError, SharedChannelClosedError, SharedTimeoutError } from '../errors/index.js';
import { knownOptions } from '../util/known.js';
import { invalid } from '../util/validate.js';
import { type EncodedBatch, encoded } from './codec.js';
import { type Layout, revive, SharedPrimitive } from './handle.js';
import { checkCount, signalOptions, type WaitOptions, waitOptions } from './options.js';
import {
  ANY,
  CLOSED_NOW,
  DATA_SEQ,
  DRAINED,
  EMPTY,
  INT32,
  layRing,
  MAX_CAPACITY,
  MAX_RECORD_SIZE,
  OK,
  RECV_WAITERS,
  Ring,
  SEND_WAITERS,
  SPACE_SEQ,
  TYPES,
  validRing,
} from './ring.js';
import { runAsync, runSync, type Steps, throwIfAborted } from './wait.js';

export type { ChannelType } from './ring.js';

import type { ChannelType } from './ring.js';

// Tries before a blocked send or receive registers as a waiter and sleeps.
// When the other side is active this avoids a futex wake-up per record, which
// costs the waiting thread a syscall each time; spinning longer only burns CPU.
const SPINS = 100;

const CHANNEL_OPTIONS: ReadonlySet<string> = new Set(['capacity', 'maxRecordSize', 'type']);

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
  static readonly layout: Layout<'Channel'> = { kind: 'Channel', valid: validRing };
  readonly #ring: Ring;

  constructor(options?: ChannelOptions) {
    super(Channel.layout, () => create(options));
    this.#ring = new Ring(this.buffer);
  }

  /** Accepts a Channel or its structured-clone form and returns a Channel over the same memory. */
  static from<T = unknown>(value: unknown): Channel<T> {
    return revive(Channel, value) as Channel<T>;
  }

  /** Most records the channel holds. */
  get capacity(): number {
    return this.#ring.capacity;
  }

  /** Largest record, in bytes (4 or 8 for a typed channel). */
  get maxRecordSize(): number {
    return this.#ring.maxRecord;
  }

  /** What the channel carries: 'any', 'int32' or 'float64'. */
  get type(): ChannelType {
    return TYPES[this.#ring.type]!;
  }

  /** Records in the channel right now, counting ones being written or read (a snapshot). */
  get size(): number {
    return this.#ring.size;
  }

  /** Threads or async calls waiting to send and to receive right now (a snapshot, for monitoring). */
  get waiting(): { senders: number; receivers: number } {
    const i32 = this.#ring.i32;
    return { senders: Atomics.load(i32, SEND_WAITERS), receivers: Atomics.load(i32, RECV_WAITERS) };
  }

  /** Whether `close()` has been called (records may remain to be received). */
  get closed(): boolean {
    return this.#ring.closed;
  }

  /**
   * Stops sending: later sends throw ERR_SHARED_CHANNEL_CLOSED, receivers get
   * what is left and then ERR_SHARED_CHANNEL_CLOSED, and every waiter wakes. Idempotent.
   */
  close(): void {
    this.#ring.close();
  }

  /** Sends `value` if there is room now; false when full. */
  trySend(value: T): boolean {
    const length = this.#ring.prepare(value);
    const r = this.#ring.tryEnqueue(value, length, encoded.bytes, 0);
    if (r === CLOSED_NOW) throw new SharedChannelClosedError(0);
    return r === OK;
  }

  /** Sends `value`, waiting for room without blocking the event loop. */
  async send(value: T, options?: WaitOptions): Promise<void> {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Channel.send');
    const length = this.#ring.prepare(value);
    const r = this.#ring.tryEnqueue(value, length, encoded.bytes, 0);
    if (r === OK) return;
    if (r === CLOSED_NOW) throw new SharedChannelClosedError(0);
    // The scratch bytes are reused by the next encode on this thread: keep a copy while waiting.
    const bytes = length > 0 ? encoded.bytes.slice(0, length) : encoded.bytes;
    await runAsync(this.#ring.i32, this.#sendSteps(value, length, bytes), wait, 'Channel.send');
  }

  /** Sends `value`, blocking the thread while the channel is full. */
  sendSync(value: T, options?: WaitOptions): void {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Channel.sendSync');
    const length = this.#ring.prepare(value);
    const r = this.#ring.tryEnqueue(value, length, encoded.bytes, 0);
    if (r === OK) return;
    if (r === CLOSED_NOW) throw new SharedChannelClosedError(0);
    runSync(this.#ring.i32, this.#sendSteps(value, length, encoded.bytes), wait, 'Channel.sendSync');
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
    const batch = this.#ring.prepareMany(values);
    const state = { sent: this.#ring.enqueueMany(values, batch, 0) };
    if (state.sent === values.length) return;
    if (state.sent === CLOSED_NOW) throw new SharedChannelClosedError(0);
    // The batch's bytes are this thread's scratch: keep a copy while waiting.
    const kept = batch.end > 0 ? { ...batch, bytes: batch.bytes.slice(0, batch.end) } : batch;
    const operation = 'Channel.sendMany';
    await runAsync(this.#ring.i32, this.#sendManySteps(values, kept, state, operation), wait, operation);
  }

  /** Blocking form of `sendMany()`: the thread waits while the channel is full. */
  sendManySync(values: readonly T[], options?: WaitOptions): void {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Channel.sendManySync');
    const batch = this.#ring.prepareMany(values);
    const state = { sent: this.#ring.enqueueMany(values, batch, 0) };
    if (state.sent === values.length) return;
    if (state.sent === CLOSED_NOW) throw new SharedChannelClosedError(0);
    const operation = 'Channel.sendManySync';
    runSync(this.#ring.i32, this.#sendManySteps(values, batch, state, operation), wait, operation);
  }

  /** Takes a record if one is ready now. */
  tryReceive(): TryReceiveResult<T> {
    const r = this.#ring.tryDequeue();
    if (r === EMPTY) return { ok: false, closed: false };
    if (r === DRAINED) return { ok: false, closed: true };
    return { ok: true, value: r as T };
  }

  /** Receives the next record, waiting without blocking the event loop. Rejects with ERR_SHARED_CHANNEL_CLOSED once closed and drained. */
  async receive(options?: WaitOptions): Promise<T> {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Channel.receive');
    const r = this.#ring.tryDequeue();
    if (r === DRAINED) throw new SharedChannelClosedError();
    if (r !== EMPTY) return r as T;
    return runAsync(this.#ring.i32, this.#receiveSteps(), wait, 'Channel.receive');
  }

  /** Receives the next record, blocking the thread while the channel is empty. */
  receiveSync(options?: WaitOptions): T {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Channel.receiveSync');
    const r = this.#ring.tryDequeue();
    if (r === DRAINED) throw new SharedChannelClosedError();
    if (r !== EMPTY) return r as T;
    return runSync(this.#ring.i32, this.#receiveSteps(), wait, 'Channel.receiveSync');
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
    const r = this.#ring.dequeueMany(max, out);
    if (r === DRAINED) throw new SharedChannelClosedError();
    if (r !== EMPTY) return out;
    return runAsync(this.#ring.i32, this.#receiveManySteps(max, out), wait, 'Channel.receiveMany');
  }

  /** Blocking form of `receiveMany()`. */
  receiveManySync(max: number, options?: WaitOptions): T[] {
    checkCount('max', max, 1);
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Channel.receiveManySync');
    const out: T[] = [];
    const r = this.#ring.dequeueMany(max, out);
    if (r === DRAINED) throw new SharedChannelClosedError();
    if (r !== EMPTY) return out;
    return runSync(this.#ring.i32, this.#receiveManySteps(max, out), wait, 'Channel.receiveManySync');
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
          r = this.#ring.tryDequeue();
        } catch (error) {
          return Promise.reject(error);
        }
        if (r === DRAINED) return Promise.resolve(end());
        if (r !== EMPTY) return Promise.resolve({ value: r as T, done: false });
        return runAsync(this.#ring.i32, this.#receiveSteps(), wait, 'Channel.values').then(
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

  *#sendSteps(value: unknown, length: number, bytes: Uint8Array): Steps<void> {
    const ring = this.#ring;
    const i32 = ring.i32;
    for (let i = 0; i < SPINS; i++) {
      if (ring.sendBlocked()) continue;
      const r = ring.tryEnqueue(value, length, bytes, 0);
      if (r === OK) return;
      if (r === CLOSED_NOW) throw new SharedChannelClosedError(0);
    }
    for (;;) {
      Atomics.add(i32, SEND_WAITERS, 1);
      try {
        const seq = Atomics.load(i32, SPACE_SEQ);
        const r = ring.tryEnqueue(value, length, bytes, 0);
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
    const ring = this.#ring;
    const i32 = ring.i32;
    const total = values.length;
    const more = (): boolean => {
      const n = ring.enqueueMany(values, batch, state.sent);
      if (n === CLOSED_NOW) throw new SharedChannelClosedError(state.sent);
      state.sent += n;
      return state.sent < total;
    };
    try {
      for (let i = 0; i < SPINS; i++) {
        if (ring.sendBlocked()) continue;
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
    const ring = this.#ring;
    const i32 = ring.i32;
    for (let i = 0; i < SPINS; i++) {
      if (ring.receiveBlocked()) continue;
      const r = ring.tryDequeue();
      if (r === DRAINED) throw new SharedChannelClosedError();
      if (r !== EMPTY) return r as T;
    }
    for (;;) {
      Atomics.add(i32, RECV_WAITERS, 1);
      try {
        const seq = Atomics.load(i32, DATA_SEQ);
        const r = ring.tryDequeue();
        if (r === DRAINED) throw new SharedChannelClosedError();
        if (r !== EMPTY) return r as T;
        yield [DATA_SEQ, seq];
      } finally {
        Atomics.sub(i32, RECV_WAITERS, 1);
      }
    }
  }

  *#receiveManySteps(max: number, out: T[]): Steps<T[]> {
    const ring = this.#ring;
    const i32 = ring.i32;
    for (let i = 0; i < SPINS; i++) {
      if (ring.receiveBlocked()) continue;
      const r = ring.dequeueMany(max, out);
      if (r === DRAINED) throw new SharedChannelClosedError();
      if (r !== EMPTY) return out;
    }
    for (;;) {
      Atomics.add(i32, RECV_WAITERS, 1);
      try {
        const seq = Atomics.load(i32, DATA_SEQ);
        const r = ring.dequeueMany(max, out);
        if (r === DRAINED) throw new SharedChannelClosedError();
        if (r !== EMPTY) return out;
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
  return layRing(capacity, maxRecord, type);
}

function checkType(value: unknown): ChannelType {
  if (typeof value === 'string' && (TYPES as readonly string[]).includes(value)) return value as ChannelType;
  throw invalid('options.type', `one of ${TYPES.map((t) => `'${t}'`).join(', ')}`, value);
}
