// How a pool worker tells the pool that its tasks wait on spindle/shared
// primitives, so that the pool can report a deadlock (every worker blocked
// while tasks wait for a worker: docs/pool.md, 'deadlock' event).
//
// Inside a pool worker thread the runtime installs three shared Int32 counters
// (the pool reads them; nobody else writes them); anywhere else nothing is
// installed and these calls do nothing. wait.ts calls enter/leave around a
// wait that actually sleeps, never on an uncontended fast path. A global
// symbol, not a module variable: two copies of spindle in one app still meet.

/** Tasks of this worker sleeping in Atomics.wait (the thread is blocked). */
export const BLOCKED_SYNC = 0;
/** Waits of this worker pending in Atomics.waitAsync. */
export const BLOCKED_ASYNC = 1;
/** Waits entered so far (wraps): the pool sees progress when it changes. */
export const WAITS_ENTERED = 2;
/** Int32 words the counters take. */
export const BLOCKING_WORDS = 3;

const key = Symbol.for('spindle.blocking');

type Holder = Record<symbol, Int32Array | undefined>;

/** Installs this thread's counters (the pool's thread runtime does, once, before the task module loads). */
export function installBlockingCounters(words: Int32Array): void {
  (globalThis as Holder)[key] = words;
}

/** A wait is about to sleep. */
export function enterWait(sync: boolean): void {
  const words = (globalThis as Holder)[key];
  if (words === undefined) return;
  Atomics.add(words, sync ? BLOCKED_SYNC : BLOCKED_ASYNC, 1);
  Atomics.add(words, WAITS_ENTERED, 1);
}

/** The wait that `enterWait(sync)` announced is over (acquired, timed out or aborted). */
export function leaveWait(sync: boolean): void {
  const words = (globalThis as Holder)[key];
  if (words !== undefined) Atomics.sub(words, sync ? BLOCKED_SYNC : BLOCKED_ASYNC, 1);
}
