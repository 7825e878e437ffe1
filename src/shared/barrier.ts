// Barrier: `parties` threads meet, then all go on; reusable, generation after
// generation.
//
// One Int32 holds both the generation (high 16 bits) and how many parties
// have arrived in it (low 16 bits), so an arrival sees, and changes, both in
// one CAS. (Two separate words race: a thread could read generation g, be
// overtaken while g completes, and then count itself into g + 1 while waiting
// for g to end - which has already happened.)
//
// arrive: CAS count -> count + 1; the party that makes it `parties` instead
//         CASes to (generation + 1, count 0) and notifies everyone.
// wait:   sleep while the word still holds the value last seen; return when
//         the generation bits differ from the ones we arrived in. Every change
//         of the word makes a stale sleep return 'not-equal'; only the
//         generation change notifies, and that is the one sleepers wait for.
// A wait that times out or is aborted withdraws its arrival (CAS count - 1)
// if its generation is still open, so the barrier is not left broken; if the
// generation completed meanwhile, the wait succeeded and returns normally.
// The 16-bit generation wraps; a sleeper would have to miss 65,536 complete
// generations to be confused, and every completion wakes it.
import { type Layout, revive, SharedPrimitive } from './handle.js';
import { checkCount, type WaitOptions, waitOptions } from './options.js';
import { runAsync, runSync, type Steps, throwIfAborted } from './wait.js';

const WORD = 0;
const PARTIES = 1;
const BYTES = 8;
const COUNT_MASK = 0xffff;
const MAX_PARTIES = 0xffff;

const generationOf = (word: number) => word >>> 16;

/** A reusable meeting point for a fixed number of parties. */
export class Barrier extends SharedPrimitive<'Barrier'> {
  static readonly layout: Layout<'Barrier'> = {
    kind: 'Barrier',
    valid(buffer) {
      if (buffer.byteLength !== BYTES) return false;
      const parties = new Int32Array(buffer)[PARTIES]!;
      return parties >= 1 && parties <= MAX_PARTIES;
    },
  };
  readonly #i32: Int32Array;
  readonly #parties: number;

  /** `parties`: how many `wait()` calls complete one generation (1 to 65,535). */
  constructor(parties: number) {
    super(Barrier.layout, () => {
      const buffer = new SharedArrayBuffer(BYTES);
      new Int32Array(buffer)[PARTIES] = checkCount('parties', parties, 1, MAX_PARTIES);
      return buffer;
    });
    this.#i32 = new Int32Array(this.buffer, 0, 2);
    this.#parties = this.#i32[PARTIES]!;
  }

  /** Accepts a Barrier or its structured-clone form (from postMessage, workerData) and returns a Barrier over the same memory. */
  static from(value: unknown): Barrier {
    return revive(Barrier, value);
  }

  /** How many parties complete a generation. */
  get parties(): number {
    return this.#parties;
  }

  /** Parties waiting in the current generation (a snapshot). */
  get waiting(): number {
    return Atomics.load(this.#i32, WORD) & COUNT_MASK;
  }

  /**
   * Waits until `parties` callers have arrived, without blocking the event loop.
   * Resolves true for exactly one caller per generation (the last to arrive).
   */
  async wait(options?: WaitOptions): Promise<boolean> {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Barrier.wait');
    return runAsync(this.#i32, this.#waitSteps(), wait, 'Barrier.wait');
  }

  /** Blocking form of `wait()`; returns true for the last caller of each generation. */
  waitSync(options?: WaitOptions): boolean {
    const wait = waitOptions(options);
    throwIfAborted(wait, 'Barrier.waitSync');
    return runSync(this.#i32, this.#waitSteps(), wait, 'Barrier.waitSync');
  }

  *#waitSteps(): Steps<boolean> {
    const i32 = this.#i32;
    let arrived = Atomics.load(i32, WORD);
    for (;;) {
      const last = (arrived & COUNT_MASK) + 1 === this.#parties;
      const next = last ? ((generationOf(arrived) + 1) & 0xffff) << 16 : arrived + 1;
      const seen = Atomics.compareExchange(i32, WORD, arrived, next);
      if (seen !== arrived) {
        arrived = seen;
        continue;
      }
      if (last) {
        Atomics.notify(i32, WORD);
        return true;
      }
      break;
    }
    const generation = generationOf(arrived);
    for (;;) {
      const word = Atomics.load(i32, WORD);
      if (generationOf(word) !== generation) return false;
      try {
        yield [WORD, word];
      } catch (error) {
        // Timed out or aborted: take our arrival back unless the generation completed.
        let current = Atomics.load(i32, WORD);
        for (;;) {
          if (generationOf(current) !== generation) return false;
          const seen = Atomics.compareExchange(i32, WORD, current, current - 1);
          if (seen === current) throw error;
          current = seen;
        }
      }
    }
  }
}
