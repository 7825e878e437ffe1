// Latch: a count-down in one Int32, like Go's sync.WaitGroup.
//
// wait: load the count; return if 0, else sleep while it still holds that
//       value. Decrements that do not reach 0 do not notify: a sleeper keeps
//       sleeping, and one that read a stale count finds the word changed when
//       it tries to sleep (Atomics.wait returns 'not-equal') and reloads.
// countDown: CAS the count down (never below 0); the step that reaches 0
//       notifies every sleeper. A sleeper only sleeps on a non-zero value, and
//       the word can only become 0 through that notifying step.
import { SharedLatchUnderflowError } from '../errors/index.js';
import { fixedLayout, revive, SharedPrimitive } from './handle.js';
import { checkCount, INT32_MAX, type WaitOptions, waitOptions } from './options.js';
import { runAsync, runSync, type Steps, throwIfAborted } from './wait.js';

const COUNT = 0;
const BYTES = 4;

/** Lets threads wait until a count of pending things reaches zero. */
export class Latch extends SharedPrimitive<'Latch'> {
  static readonly layout = fixedLayout('Latch', BYTES);
  readonly #i32: Int32Array;

  /** `count`: how many `countDown()` calls release the waiters (an integer >= 0). */
  constructor(count: number) {
    super(Latch.layout, () => {
      const buffer = new SharedArrayBuffer(BYTES);
      new Int32Array(buffer)[COUNT] = checkCount('count', count, 0);
      return buffer;
    });
    this.#i32 = new Int32Array(this.buffer, 0, 1);
  }

  /** Accepts a Latch or its structured-clone form (from postMessage, workerData) and returns a Latch over the same memory. */
  static from(value: unknown): Latch {
    return revive(Latch, value);
  }

  /** The current count (a snapshot). */
  get count(): number {
    return Atomics.load(this.#i32, COUNT);
  }

  /** Counts down by `n` (default 1); reaching zero releases every waiter. Throws ERR_SHARED_LATCH_UNDERFLOW below zero. */
  countDown(n = 1): void {
    checkCount('n', n, 1);
    const i32 = this.#i32;
    let count = Atomics.load(i32, COUNT);
    for (;;) {
      if (count < n) throw new SharedLatchUnderflowError(count, n);
      const seen = Atomics.compareExchange(i32, COUNT, count, count - n);
      if (seen === count) break;
      count = seen;
    }
    if (count === n) Atomics.notify(i32, COUNT);
  }

  /** Raises the count by `n` (default 1): more work to wait for, like WaitGroup.Add. */
  add(n = 1): void {
    checkCount('n', n, 1);
    const i32 = this.#i32;
    let count = Atomics.load(i32, COUNT);
    for (;;) {
      checkCount('count + n', count + n, 0, INT32_MAX);
      const seen = Atomics.compareExchange(i32, COUNT, count, count + n);
      if (seen === count) return;
      count = seen;
    }
  }

  /** Resolves once the count is zero, without blocking the event loop. */
  async wait(options?: WaitOptions): Promise<void> {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Latch.wait');
    if (Atomics.load(this.#i32, COUNT) !== 0) await runAsync(this.#i32, this.#waitSteps(), wait, 'Latch.wait');
  }

  /** Blocks the thread until the count is zero. */
  waitSync(options?: WaitOptions): void {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Latch.waitSync');
    if (Atomics.load(this.#i32, COUNT) !== 0) runSync(this.#i32, this.#waitSteps(), wait, 'Latch.waitSync');
  }

  *#waitSteps(): Steps<void> {
    for (;;) {
      const count = Atomics.load(this.#i32, COUNT);
      if (count === 0) return;
      yield [COUNT, count];
    }
  }
}
