// Mutex: a futex-style lock in one Int32 (Drepper, "Futexes Are Tricky", mutex 3).
//
//   0 = unlocked, 1 = locked and nobody waits, 2 = locked and someone may wait.
//
// lock:   CAS 0 -> 1. If that fails, swap in 2 ("I am waiting"): if the swap
//         returned 0 the lock was free and is now ours; otherwise sleep while
//         the word is 2 and swap again after every wake-up.
// unlock: swap in 0; notify one sleeper only if the old value was 2.
//
// Why no wake-up is lost: a thread only sleeps while the word is 2 (the check
// and the enqueue are one atomic step inside Atomics.wait/waitAsync), and the
// word only leaves 2 through unlock's swap, which then notifies. A waiter that
// wakes always swaps in 2 before it can sleep again, so while any thread may
// be asleep the word stays 2 and the next unlock notifies. Uncontended
// lock/unlock is one CAS and one swap: no notify, no syscall.
// The lock is not fair: a thread arriving at the right moment may take it
// ahead of one that was woken (which then waits again).
import { SharedNotLockedError } from '../errors/index.js';
import { Guard, holding, holdingSync } from './guard.js';
import { fixedLayout, revive, SharedPrimitive } from './handle.js';
import { type WaitOptions, waitOptions } from './options.js';
import { runAsync, runSync, type Steps, throwIfAborted } from './wait.js';

const UNLOCKED = 0;
const LOCKED = 1;
const CONTENDED = 2;
// Loads to spend watching a holder that may be about to unlock before sleeping.
const SPINS = 100;
const BYTES = 4;

/** A lock shared by every thread that holds this object (or its clone). */
export class Mutex extends SharedPrimitive<'Mutex'> {
  static readonly layout = fixedLayout('Mutex', BYTES);
  readonly #i32: Int32Array;

  constructor() {
    super(Mutex.layout, () => new SharedArrayBuffer(BYTES));
    this.#i32 = new Int32Array(this.buffer, 0, 1);
  }

  /** Accepts a Mutex or its structured-clone form (from postMessage, workerData) and returns a Mutex over the same memory. */
  static from(value: unknown): Mutex {
    return revive(Mutex, value);
  }

  /** Whether some thread holds the lock right now (a snapshot, for diagnostics). */
  get locked(): boolean {
    return Atomics.load(this.#i32, 0) !== UNLOCKED;
  }

  /** Takes the lock if it is free, without waiting; undefined when it is held. */
  tryLock(): Guard | undefined {
    return Atomics.compareExchange(this.#i32, 0, UNLOCKED, LOCKED) === UNLOCKED ? this.#guard() : undefined;
  }

  /** Waits for the lock without blocking the event loop. */
  async lock(options?: WaitOptions): Promise<Guard> {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Mutex.lock');
    if (Atomics.compareExchange(this.#i32, 0, UNLOCKED, LOCKED) !== UNLOCKED) {
      await runAsync(this.#i32, this.#lockSteps(), wait, 'Mutex.lock');
    }
    return this.#guard();
  }

  /**
   * Waits for the lock by blocking the thread (Atomics.wait). Meant for worker
   * threads; on the main thread it works but freezes the event loop while it waits.
   */
  lockSync(options?: WaitOptions): Guard {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Mutex.lockSync');
    if (Atomics.compareExchange(this.#i32, 0, UNLOCKED, LOCKED) !== UNLOCKED) {
      runSync(this.#i32, this.#lockSteps(), wait, 'Mutex.lockSync');
    }
    return this.#guard();
  }

  /** Releases the lock (prefer the guard). Throws ERR_SHARED_NOT_LOCKED when it is not locked. */
  unlock(): void {
    const previous = Atomics.exchange(this.#i32, 0, UNLOCKED);
    if (previous === CONTENDED) Atomics.notify(this.#i32, 0, 1);
    else if (previous === UNLOCKED) throw new SharedNotLockedError();
  }

  /** Runs `fn` (sync or async) holding the lock, and releases it however `fn` ends. */
  withLock<R>(fn: () => R | PromiseLike<R>, options?: WaitOptions): Promise<Awaited<R>> {
    return holding(this.lock(options), fn);
  }

  /** Runs `fn` holding the lock taken with `lockSync`, and releases it however `fn` ends. */
  withLockSync<R>(fn: () => R, options?: WaitOptions): R {
    return holdingSync(this.lockSync(options), fn);
  }

  #guard(): Guard {
    return new Guard(() => this.unlock());
  }

  *#lockSteps(): Steps<void> {
    const i32 = this.#i32;
    for (let i = 0; i < SPINS; i++) {
      const state = Atomics.load(i32, 0);
      if (state === UNLOCKED && Atomics.compareExchange(i32, 0, UNLOCKED, LOCKED) === UNLOCKED) return;
      if (state === CONTENDED) break; // others already sleep: join them rather than burn the CPU
    }
    // From here the word says "someone waits", so the holder's unlock notifies.
    // The swap also takes the lock when it was just released (it returns 0).
    while (Atomics.exchange(i32, 0, CONTENDED) !== UNLOCKED) {
      yield [0, CONTENDED];
    }
  }
}
