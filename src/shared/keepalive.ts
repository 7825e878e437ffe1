// Keeps this thread's event loop alive while async waits are pending.
//
// A pending `Atomics.waitAsync` does not hold Node 20's event loop open
// (nodejs/node#61941): a process whose only pending work is `await mutex.lock()`
// would exit before another thread releases the lock. One ref'd interval per
// thread, ref'd while at least one async wait is pending and unref'd otherwise,
// fixes that without a timer per wait.

let pending = 0;
let handle: ReturnType<typeof setInterval> | undefined;

// The largest delay Node accepts; longer ones are clamped to 1 ms.
const MAX_DELAY = 2 ** 31 - 1;

/** Counts one more pending async wait; the loop stays alive until `release()`. */
export function holdLoop(): void {
  if (pending++ === 0) {
    if (handle === undefined) handle = setInterval(() => {}, MAX_DELAY);
    else handle.ref();
  }
}

/** Ends one pending async wait started with `holdLoop()`. */
export function releaseLoop(): void {
  if (--pending === 0) handle?.unref();
}
