// Semaphore: a count of permits in one Int32, plus a count of waiters so that
// release() only pays for Atomics.notify when somebody may be asleep.
//
// acquire: CAS the count from n > 0 to n - 1. When it is 0: increment
//          `waiters`, try once more, then sleep while the count is 0.
// release: CAS the count up, then notify if `waiters` > 0.
//
// Why no wake-up is lost (all JS atomics are sequentially consistent): the
// waiter writes `waiters` and then reads the count; the releaser writes the
// count and then reads `waiters`. In any interleaving at least one of them
// sees the other's write: either the releaser sees the waiter and notifies
// (and the waiter is either asleep and woken, or has not slept yet and its
// Atomics.wait finds the count != 0 and returns at once), or the waiter's
// re-check sees the new permits and takes one without sleeping.
import { SharedSemaphoreOverflowError } from '../errors/index.js';
import { knownOptions } from '../util/known.js';
import { Guard, holding, holdingSync } from './guard.js';
import { fixedLayout, revive, SharedPrimitive } from './handle.js';
import { checkCount, INT32_MAX, type WaitOptions, waitOptions } from './options.js';
import { runAsync, runSync, type Steps, throwIfAborted } from './wait.js';

const COUNT = 0;
const WAITERS = 1;
const MAX = 2;
const BYTES = 12;
const SEMAPHORE_OPTIONS: ReadonlySet<string> = new Set(['max']);

export interface SemaphoreOptions {
  /** Most permits the semaphore may hold; `release()` beyond it throws. Default: unbounded (2^31 - 1). */
  max?: number;
}

/** A counting semaphore shared across threads. */
export class Semaphore extends SharedPrimitive<'Semaphore'> {
  static readonly layout = fixedLayout('Semaphore', BYTES);
  readonly #i32: Int32Array;

  /** `permits`: how many holders may be inside at once (an integer >= 0). */
  constructor(permits: number, options?: SemaphoreOptions) {
    super(Semaphore.layout, () => {
      checkCount('permits', permits, 0);
      const max = knownOptions('options', options, SEMAPHORE_OPTIONS)?.max;
      const buffer = new SharedArrayBuffer(BYTES);
      const i32 = new Int32Array(buffer);
      i32[COUNT] = permits;
      i32[MAX] =
        max === undefined || max === Number.POSITIVE_INFINITY
          ? INT32_MAX
          : checkCount('options.max', max, Math.max(permits, 1));
      return buffer;
    });
    this.#i32 = new Int32Array(this.buffer, 0, 3);
  }

  /** Accepts a Semaphore or its structured-clone form (from postMessage, workerData) and returns a Semaphore over the same memory. */
  static from(value: unknown): Semaphore {
    return revive(Semaphore, value);
  }

  /** Permits free right now (a snapshot). */
  get available(): number {
    return Atomics.load(this.#i32, COUNT);
  }

  /** Callers waiting for a permit right now (a snapshot). */
  get waiting(): number {
    return Atomics.load(this.#i32, WAITERS);
  }

  /** The most permits the semaphore may hold. */
  get max(): number {
    return this.#i32[MAX]!;
  }

  /** Takes a permit if one is free, without waiting; undefined otherwise. */
  tryAcquire(): Guard | undefined {
    return this.#take() ? this.#guard() : undefined;
  }

  /** Waits for a permit without blocking the event loop. */
  async acquire(options?: WaitOptions): Promise<Guard> {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Semaphore.acquire');
    if (!this.#take()) await runAsync(this.#i32, this.#acquireSteps(), wait, 'Semaphore.acquire');
    return this.#guard();
  }

  /** Waits for a permit by blocking the thread (for workers; freezes the main thread's loop). */
  acquireSync(options?: WaitOptions): Guard {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Semaphore.acquireSync');
    if (!this.#take()) runSync(this.#i32, this.#acquireSteps(), wait, 'Semaphore.acquireSync');
    return this.#guard();
  }

  /**
   * Returns `permits` permits and wakes up to that many waiters. Usually done
   * through the guard; call it directly when one thread acquires and another releases.
   */
  release(permits = 1): void {
    checkCount('permits', permits, 1);
    const i32 = this.#i32;
    const max = i32[MAX]!;
    let count = Atomics.load(i32, COUNT);
    for (;;) {
      const next = count + permits;
      if (next > max) throw new SharedSemaphoreOverflowError(max, next);
      const seen = Atomics.compareExchange(i32, COUNT, count, next);
      if (seen === count) break;
      count = seen;
    }
    if (Atomics.load(i32, WAITERS) > 0) Atomics.notify(i32, COUNT, permits);
  }

  /** Runs `fn` holding a permit, and returns it however `fn` ends. */
  withPermit<R>(fn: () => R | PromiseLike<R>, options?: WaitOptions): Promise<Awaited<R>> {
    return holding(this.acquire(options), fn);
  }

  /** Runs `fn` holding a permit taken with `acquireSync`. */
  withPermitSync<R>(fn: () => R, options?: WaitOptions): R {
    return holdingSync(this.acquireSync(options), fn);
  }

  #guard(): Guard {
    return new Guard(() => this.release(1));
  }

  #take(): boolean {
    const i32 = this.#i32;
    let count = Atomics.load(i32, COUNT);
    while (count > 0) {
      const seen = Atomics.compareExchange(i32, COUNT, count, count - 1);
      if (seen === count) return true;
      count = seen;
    }
    return false;
  }

  *#acquireSteps(): Steps<void> {
    const i32 = this.#i32;
    for (;;) {
      Atomics.add(i32, WAITERS, 1);
      try {
        if (this.#take()) return; // re-check now that releasers can see us
        yield [COUNT, 0];
      } finally {
        Atomics.sub(i32, WAITERS, 1);
      }
      if (this.#take()) return;
    }
  }
}
