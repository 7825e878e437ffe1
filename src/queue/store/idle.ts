// close() of either store waits for its running jobs: until the last one
// ends, or until the grace period is over, or until destroy() cuts it short.

/** Waits for "no job runs here any more", with or without a time limit. */
export class IdleWait {
  readonly #graceWaiters = new Set<() => void>();
  readonly #idleWaiters = new Set<() => void>();
  #forced = false;

  /** The store calls this each time its last running job ended. */
  notify(): void {
    for (const wake of [...this.#graceWaiters, ...this.#idleWaiters]) wake();
  }

  /** Ends every grace period now and from now on (destroy()). */
  force(): void {
    this.#forced = true;
    for (const wake of this.#graceWaiters) wake();
  }

  /** Resolves at the next notify(), after `ms` (never for Infinity), or at force(). */
  grace(ms: number): Promise<void> {
    if (this.#forced || ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(() => wake(), ms) : undefined;
      const wake = (): void => {
        clearTimeout(timer);
        this.#graceWaiters.delete(wake);
        resolve();
      };
      this.#graceWaiters.add(wake);
    });
  }

  /** Resolves at the next notify(), however long that takes (aborted jobs end quickly). */
  idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        this.#idleWaiters.delete(wake);
        resolve();
      };
      this.#idleWaiters.add(wake);
    });
  }
}
