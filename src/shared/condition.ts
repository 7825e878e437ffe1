// Condition: wait for a change announced by another thread, under a Mutex.
//
// Words: `seq`, bumped by every notify, and `waiters`, how many may sleep.
// wait(mutex):  read seq, count ourselves in `waiters`, unlock the mutex,
//               sleep while seq still holds what we read, then lock again.
// notify(n):    bump seq, then, if `waiters` > 0, wake n sleepers.
// Reading seq *before* unlocking is what makes this race-free: a notify that
// comes after the unlock (e.g. from a thread that took the mutex, changed the
// state and signalled) changes seq, so our sleep returns 'not-equal' at once
// instead of waiting for a notify that already happened. `waiters` is written
// before the unlock and read by notify after its bump, so (all JS atomics being
// sequentially consistent) a notify either sees the waiter or the waiter's
// sleep sees the bump. A wait may return without a notify (several threads may
// see one bump), which is why `waitFor` re-checks its predicate in a loop.
// Like pthread_cond_timedwait, a wait that times out or is aborted still takes
// the mutex back before it throws, so the caller's guard stays truthful.
import { SharedNotLockedError, SharedTimeoutError } from '../errors/index.js';
import { invalid } from '../util/validate.js';
import { fixedLayout, revive, SharedPrimitive } from './handle.js';
import { Mutex } from './mutex.js';
import { checkCount, type Wait, type WaitOptions, waitOptions } from './options.js';
import { runAsync, runSync, type Steps, throwIfAborted } from './wait.js';

const SEQ = 0;
const WAITERS = 1;
const BYTES = 8;

/** A condition variable: sleep until another thread says the shared state changed. */
export class Condition extends SharedPrimitive<'Condition'> {
  static readonly layout = fixedLayout('Condition', BYTES);
  readonly #i32: Int32Array;

  constructor() {
    super(Condition.layout, () => new SharedArrayBuffer(BYTES));
    this.#i32 = new Int32Array(this.buffer, 0, 2);
  }

  /** Accepts a Condition or its structured-clone form (from postMessage, workerData) and returns a Condition over the same memory. */
  static from(value: unknown): Condition {
    return revive(Condition, value);
  }

  /** Callers inside `wait` right now (a snapshot). */
  get waiting(): number {
    return Atomics.load(this.#i32, WAITERS);
  }

  /**
   * Unlocks `mutex` (which the caller holds), waits for a notify, and locks it
   * again, without blocking the event loop. May return without a notify: prefer `waitFor`.
   */
  async wait(mutex: Mutex, options?: WaitOptions): Promise<void> {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Condition.wait');
    await this.#waitAsync(checkHeld(mutex), wait, 'Condition.wait');
  }

  /** Blocking form of `wait()`. */
  waitSync(mutex: Mutex, options?: WaitOptions): void {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Condition.waitSync');
    this.#waitSync(checkHeld(mutex), wait, 'Condition.waitSync');
  }

  /**
   * Waits, holding `mutex` whenever `predicate` runs, until `predicate()` is true.
   * The timeout covers the whole wait; it only fails if the predicate is still false.
   */
  async waitFor(mutex: Mutex, predicate: () => boolean, options?: WaitOptions): Promise<void> {
    const wait = waitOptions(options);
    checkPredicate(predicate);
    throwIfAborted(wait, 'Condition.waitFor');
    checkHeld(mutex);
    while (!predicate()) {
      try {
        await this.#waitAsync(mutex, wait, 'Condition.waitFor');
      } catch (error) {
        if (error instanceof SharedTimeoutError && predicate()) return;
        throw error;
      }
    }
  }

  /** Blocking form of `waitFor()`. */
  waitForSync(mutex: Mutex, predicate: () => boolean, options?: WaitOptions): void {
    const wait = waitOptions(options);
    checkPredicate(predicate);
    throwIfAborted(wait, 'Condition.waitForSync');
    checkHeld(mutex);
    while (!predicate()) {
      try {
        this.#waitSync(mutex, wait, 'Condition.waitForSync');
      } catch (error) {
        if (error instanceof SharedTimeoutError && predicate()) return;
        throw error;
      }
    }
  }

  /** Wakes up to `count` waiters (default 1). */
  notify(count = 1): void {
    if (count !== Number.POSITIVE_INFINITY) checkCount('count', count, 1);
    Atomics.add(this.#i32, SEQ, 1);
    if (Atomics.load(this.#i32, WAITERS) > 0) Atomics.notify(this.#i32, SEQ, count);
  }

  /** Wakes every waiter. */
  notifyAll(): void {
    this.notify(Number.POSITIVE_INFINITY);
  }

  async #waitAsync(mutex: Mutex, wait: Wait, operation: string): Promise<void> {
    const seq = this.#enter(mutex);
    let failure: { error: unknown } | undefined;
    try {
      await runAsync(this.#i32, sleepOnce(seq), wait, operation);
    } catch (error) {
      failure = { error };
    } finally {
      Atomics.sub(this.#i32, WAITERS, 1);
    }
    await mutex.lock();
    if (failure) throw failure.error;
  }

  #waitSync(mutex: Mutex, wait: Wait, operation: string): void {
    const seq = this.#enter(mutex);
    let failure: { error: unknown } | undefined;
    try {
      runSync(this.#i32, sleepOnce(seq), wait, operation);
    } catch (error) {
      failure = { error };
    } finally {
      Atomics.sub(this.#i32, WAITERS, 1);
    }
    mutex.lockSync();
    if (failure) throw failure.error;
  }

  // Reads seq and registers as a waiter while still holding the mutex, then unlocks it.
  #enter(mutex: Mutex): number {
    const seq = Atomics.load(this.#i32, SEQ);
    Atomics.add(this.#i32, WAITERS, 1);
    try {
      mutex.unlock();
    } catch (error) {
      Atomics.sub(this.#i32, WAITERS, 1);
      throw error;
    }
    return seq;
  }
}

// One sleep on seq. Ends on a notify ('ok') or a bump before we slept
// ('not-equal'); after 'timed-out' it asks for another sleep, which the driver
// turns into the timeout error once the deadline has passed.
function* sleepOnce(seq: number): Steps<void> {
  let result = yield [SEQ, seq];
  while (result === 'timed-out') result = yield [SEQ, seq];
}

function checkHeld(mutex: Mutex): Mutex {
  if (!(mutex instanceof Mutex)) throw invalid('mutex', 'a Mutex', mutex);
  if (!mutex.locked) throw new SharedNotLockedError('Condition.wait needs the mutex locked by the caller');
  return mutex;
}

function checkPredicate(predicate: unknown): void {
  if (typeof predicate !== 'function') throw invalid('predicate', 'a function', predicate);
}
