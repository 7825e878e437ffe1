// The two drivers every waiting call goes through.
//
// Each primitive writes its waiting protocol once, as a generator that tries
// the operation and, when it must wait, yields `[index, expected]`: "sleep on
// i32[index] while it still holds `expected`". The generator re-checks its
// condition after every wake-up, so spurious and stale wake-ups are harmless.
// `runSync` sleeps with Atomics.wait (blocks the thread); `runAsync` with
// Atomics.waitAsync (never blocks the event loop). Timeouts and aborts are
// thrown *into* the generator, so it can undo its bookkeeping (waiter counts,
// a barrier arrival) in try/finally before the error reaches the caller.
//
// Invariant kept here: after a wake-up ('ok') the generator always runs once
// more before the deadline is checked, so a wake-up meant for us is consumed
// by a retry, never dropped by a timeout that fires at the same moment.
import { SharedAbortedError, SharedBlockingNotAllowedError, SharedTimeoutError } from '../errors/index.js';
import { enterWait, leaveWait } from './blocking.js';
import { holdLoop, releaseLoop } from './keepalive.js';
import type { Wait } from './options.js';

/** Sleep on `i32[index]` while it still holds `expected`. */
export type Sleep = readonly [index: number, expected: number];
export type WaitResult = 'ok' | 'not-equal' | 'timed-out';
/** A waiting protocol: yields sleeps, receives their results, returns the outcome. */
export type Steps<T> = Generator<Sleep, T, WaitResult>;

type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<WaitResult> };
// lib.es2024 is not in this project's lib list; Node 20 has waitAsync.
const waitAsync = (
  Atomics as unknown as {
    waitAsync(i32: Int32Array, index: number, expected: number, timeout: number): WaitAsyncResult;
  }
).waitAsync;

/** Throws the coded abort error when `signal` has already fired. */
export function throwIfAborted(wait: Wait, operation: string): void {
  if (wait.signal?.aborted) throw new SharedAbortedError(operation, wait.signal.reason);
}

/** Runs `steps`, blocking the thread whenever they must wait. */
export function runSync<T>(i32: Int32Array, steps: Steps<T>, wait: Wait, operation: string): T {
  let r = steps.next();
  while (!r.done) {
    const remaining = wait.deadline - performance.now();
    if (remaining <= 0) {
      r = steps.throw(new SharedTimeoutError(operation, wait.timeout));
      continue;
    }
    let result: WaitResult;
    enterWait(true); // a pool worker counts its blocked tasks (blocking.ts)
    try {
      result = Atomics.wait(i32, r.value[0], r.value[1], remaining);
    } catch (error) {
      r = steps.throw(new SharedBlockingNotAllowedError(operation, error));
      continue;
    } finally {
      leaveWait(true);
    }
    r = steps.next(result);
  }
  return r.value;
}

/** Runs `steps` without blocking: waits become promises, and the loop stays alive meanwhile. */
export async function runAsync<T>(i32: Int32Array, steps: Steps<T>, wait: Wait, operation: string): Promise<T> {
  let r = steps.next();
  if (r.done) return r.value;
  holdLoop();
  enterWait(false); // a pool worker counts its blocked tasks (blocking.ts)
  try {
    while (!r.done) {
      const remaining = wait.deadline - performance.now();
      if (remaining <= 0) {
        r = steps.throw(new SharedTimeoutError(operation, wait.timeout));
        continue;
      }
      let result: WaitResult;
      try {
        result = await sleepAsync(i32, r.value[0], r.value[1], remaining, wait.signal, operation);
      } catch (error) {
        r = steps.throw(error);
        continue;
      }
      r = steps.next(result);
    }
    return r.value;
  } finally {
    leaveWait(false);
    releaseLoop();
  }
}

// One Atomics.waitAsync, raced against the abort signal.
//
// A waitAsync cannot be withdrawn. When the signal wins, the waiter stays
// queued in V8 until it times out or is notified; if it is later woken
// ('ok'), that wake-up was meant for a live waiter (Mutex, Semaphore and
// Channel wake one waiter at a time), so it is passed on with one more
// notify. Otherwise an abandoned waiter could swallow the only wake-up and
// leave a real waiter asleep next to a free lock.
function sleepAsync(
  i32: Int32Array,
  index: number,
  expected: number,
  timeout: number,
  signal: AbortSignal | undefined,
  operation: string,
): WaitResult | Promise<WaitResult> {
  if (signal?.aborted) throw new SharedAbortedError(operation, signal.reason);
  const w = waitAsync(i32, index, expected, timeout);
  if (!w.async || signal === undefined) return w.value;
  return new Promise<WaitResult>((resolve, reject) => {
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      reject(new SharedAbortedError(operation, signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    w.value.then((result) => {
      if (aborted) {
        if (result === 'ok') Atomics.notify(i32, index, 1);
        return;
      }
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    });
  });
}
