// close() of either store waits for its running jobs: until the last one
// ends, or until the grace period is over.

/** A one-shot wait for "no job runs here any more", with an optional time limit. */
export class IdleWait {
  #wake: (() => void) | undefined;

  /** The store calls this each time its last running job ended. */
  notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Resolves at the next notify(), or after `ms` (never times out for Infinity). */
  wait(ms = Number.POSITIVE_INFINITY): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(() => this.notify(), ms) : undefined;
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
