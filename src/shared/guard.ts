/**
 * Proof of holding a lock or a permit. Release it exactly once, by hand or with
 * `using guard = mutex.lockSync()` / `await using guard = await mutex.lock()`;
 * releasing again does nothing, so a stale guard never frees someone else's hold.
 */
export class Guard implements Disposable, AsyncDisposable {
  #release: (() => void) | undefined;
  constructor(release: () => void) {
    this.#release = release;
  }
  /** True once released. */
  get released(): boolean {
    return this.#release === undefined;
  }
  /** Gives the lock or permit back; later calls do nothing. */
  release(): void {
    const release = this.#release;
    if (release === undefined) return;
    this.#release = undefined;
    release();
  }
  [Symbol.dispose](): void {
    this.release();
  }
  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}

/** Runs `fn` (sync or async) while holding the guard `taking` resolves to; releases it however `fn` ends. */
export async function holding<R>(taking: Promise<Guard>, fn: () => R | PromiseLike<R>): Promise<Awaited<R>> {
  const guard = await taking;
  try {
    return await fn();
  } finally {
    guard.release();
  }
}

/** Runs `fn` while holding `guard`; releases it however `fn` ends. */
export function holdingSync<R>(guard: Guard, fn: () => R): R {
  try {
    return fn();
  } finally {
    guard.release();
  }
}
