// Crash accounting for one worker slot: exponential backoff with jitter, a
// reset once a worker has run for a stable period, and the crash-loop breaker.

export interface BackoffSettings {
  minDelay: number;
  maxDelay: number;
  stableAfter: number;
  maxCrashes: number;
}

export type CrashVerdict = { restart: true; attempt: number; delay: number } | { restart: false; crashes: number };

/** Counts consecutive crashes of one slot and says how long to wait before the next start. */
export class CrashCounter {
  #crashes = 0;
  constructor(
    private readonly settings: BackoffSettings,
    private readonly random: () => number = Math.random,
  ) {}

  get crashes(): number {
    return this.#crashes;
  }

  /** Records a crash of a worker that had run `uptime` ms and decides what happens next. */
  crashed(uptime: number): CrashVerdict {
    if (uptime >= this.settings.stableAfter) this.#crashes = 0;
    this.#crashes++;
    if (this.#crashes >= this.settings.maxCrashes) return { restart: false, crashes: this.#crashes };
    const { minDelay, maxDelay } = this.settings;
    const base = Math.min(maxDelay, minDelay * 2 ** (this.#crashes - 1));
    // "Equal jitter": half fixed, half random, so restarts of many slots spread
    // out without any of them coming back immediately.
    return { restart: true, attempt: this.#crashes, delay: Math.round(base / 2 + (base / 2) * this.random()) };
  }

  /** Forgets past crashes (a reload brought a slot back). */
  reset(): void {
    this.#crashes = 0;
  }
}
