// How one command is ended, in one place: its `timeout`, its abort `signal`, kill(),
// a failing stream or maxBuffer, and dying with this process (the reaper). Ending
// means killSignal to the process group, then SIGKILL after killGrace if anything
// of it is still there.
import { groupAlive, isSigkill, sendSignal } from '../util/kill.js';
import { type Reapable, track, untrack } from '../util/reaper.js';
import type { Normalized } from './options.js';
import type { KillReason } from './result.js';

/** The end of one command: why spindle ended it (if it did) and whether SIGKILL was needed. */
export class Termination {
  #reason: KillReason | undefined;
  #cause: unknown;
  #forceKilled = false;
  readonly #o: Normalized;
  #pid: number | undefined;
  #reapable: Reapable | undefined;
  #timeout: NodeJS.Timeout | undefined;
  #grace: NodeJS.Timeout | undefined;
  #onAbort: (() => void) | undefined;
  #exited = false;
  #done = false;

  constructor(o: Normalized) {
    this.#o = o;
  }

  /** Why spindle ended the command; undefined when it ended by itself. */
  get reason(): KillReason | undefined {
    return this.#reason;
  }

  /** What caused `reason` (the abort reason, the stream's error). */
  get cause(): unknown {
    return this.#cause;
  }

  /** SIGKILL had to follow killSignal. */
  get forceKilled(): boolean {
    return this.#forceKilled;
  }

  /** The command was never started for `reason` (its signal was aborted already). */
  preempt(reason: KillReason, cause: unknown): void {
    this.#reason = reason;
    this.#cause = cause;
  }

  /** The program runs as `pid`: arm the timeout and the abort signal, and take it down with us. */
  start(pid: number): void {
    const o = this.#o;
    this.#pid = pid;
    if (!o.detached) {
      this.#reapable = { pid, tree: o.killTree, killSignal: o.killSignal, killGrace: o.killGrace };
      track(this.#reapable);
    }
    // 0 and Infinity mean no timeout; the parser caps the rest at what setTimeout can wait.
    if (o.timeout > 0 && o.timeout !== Number.POSITIVE_INFINITY) {
      this.#timeout = setTimeout(() => this.terminate('timeout'), o.timeout);
      this.#timeout.unref();
    }
    const signal = o.signal;
    if (signal) {
      this.#onAbort = () => this.terminate('abort', signal.reason);
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /**
   * Ends the command for `reason`: killSignal to its group, SIGKILL after killGrace.
   * The first reason is the one reported. False when there is nothing to end.
   */
  terminate(reason: KillReason, cause?: unknown): boolean {
    const pid = this.#pid;
    if (this.#done || pid === undefined) return false;
    if (this.#exited) {
      // Output still draining after the exit can overflow maxBuffer or break a sink: say so.
      if (this.#reason === undefined && (reason === 'maxBuffer' || reason === 'stream')) {
        this.#reason = reason;
        this.#cause = cause;
      }
      return false;
    }
    if (this.#reason === undefined) {
      this.#reason = reason;
      this.#cause = cause;
    }
    if (this.#grace) return true; // already on the way down
    const { killSignal, killGrace, killTree } = this.#o;
    const first = killGrace === 0 ? 'SIGKILL' : killSignal;
    if (isSigkill(first)) this.#forceKilled = !isSigkill(killSignal);
    sendSignal(pid, killTree, first);
    if (this.#reapable) this.#reapable.killSignal = first;
    if (!isSigkill(first)) {
      this.#grace = setTimeout(() => {
        if (!this.#exited) this.#forceKilled = true;
        sendSignal(pid, killTree, 'SIGKILL');
        this.#release();
      }, killGrace);
    }
    return true;
  }

  /**
   * The program exited: no more timeout. A group being killed may still hold
   * grandchildren that ignore the first signal: its SIGKILL stays due (unref'd).
   */
  exited(): void {
    this.#exited = true;
    clearTimeout(this.#timeout);
    const pid = this.#pid;
    if (this.#grace && this.#o.killTree && pid !== undefined && groupAlive(pid)) this.#grace.unref();
    else this.#release();
  }

  /** The result is settled: drop the timeout and the abort listener (and the group, if it never exited). */
  done(): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timeout);
    if (this.#onAbort) this.#o.signal?.removeEventListener('abort', this.#onAbort);
    if (!this.#exited) this.#release();
  }

  #release(): void {
    clearTimeout(this.#grace);
    if (this.#reapable) untrack(this.#reapable);
  }
}
