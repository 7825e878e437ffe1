// One worker slot: a stable id with at most one serving worker. Operations on
// a slot (first start, crash restart, rolling replacement) run one at a time;
// a replacement starts the new worker first and drains the old one only once
// the new one is ready, so the slot never stops serving. A slot removed by
// scaling down is retired: it drains and is never restarted.
import { ClusterCrashLoopError, type ClusterWorkerNotReadyError } from '../errors/index.js';
import { formatDuration } from '../util/duration.js';
import { CrashCounter } from './backoff.js';
import type { Settings } from './options.js';
import type {
  ClusterWorkerExitEvent,
  ClusterWorkerInfo,
  ClusterWorkerLastExit,
  ClusterWorkerState,
  ClusterWorkerStatus,
  ShutdownReason,
} from './types.js';
import { describeExit, type Exit, type WorkerProcess } from './worker-process.js';

/** What a slot needs from its supervisor. */
export interface SlotHost {
  readonly settings: Settings;
  /** The supervisor is closing or closed: no restart, no replacement. */
  readonly closing: boolean;
  spawn(slot: Slot): WorkerProcess;
  log(line: string): void;
  emit(event: string, payload: unknown): boolean;
}

export class Slot {
  current: WorkerProcess | undefined;
  incoming: WorkerProcess | undefined;
  restarts = 0;
  failed: ClusterCrashLoopError | undefined;
  /** How the last worker of this slot ended (for `status`). */
  lastExit: ClusterWorkerLastExit | undefined;
  readonly crashes: CrashCounter;
  #retired = false;
  #timer: NodeJS.Timeout | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly id: number,
    private readonly host: SlotHost,
  ) {
    this.crashes = new CrashCounter(host.settings.restart);
  }

  get state(): ClusterWorkerState {
    if (this.current) return this.current.state === 'draining' ? 'draining' : 'ready';
    if (this.incoming) return this.incoming.state === 'draining' ? 'draining' : 'starting';
    if (this.failed) return 'failed';
    if (this.#timer) return 'waiting';
    return 'stopped';
  }

  /** No restart or replacement any more: the supervisor is closing, or this slot was scaled away. */
  get #stopping(): boolean {
    return this.#retired || this.host.closing;
  }

  get info(): ClusterWorkerInfo {
    const w = this.current ?? this.incoming;
    const state = this.state;
    return {
      id: this.id,
      pid: w && w.state !== 'exited' ? w.pid : undefined,
      state,
      restarts: this.restarts,
      crashes: this.crashes.crashes,
      readySince: this.current?.readyAt,
      rss: this.current?.rss,
    };
  }

  /** The status of this slot (control plane, metrics): nulls where there is nothing to report. */
  status(now: number): ClusterWorkerStatus {
    const w = this.current ?? this.incoming;
    const live = w && w.state !== 'exited' ? w : undefined;
    return {
      id: this.id,
      pid: live?.pid ?? null,
      state: this.state,
      startedAt: live?.startedAt ?? null,
      readySince: this.current?.readyAt ?? null,
      uptime: live ? now - live.startedAt : null,
      restarts: this.restarts,
      crashes: this.crashes.crashes,
      lastExit: this.lastExit ?? null,
      stats: live?.stats ?? null,
    };
  }

  /** Handles of this slot that are still running. */
  get live(): WorkerProcess[] {
    return [this.current, this.incoming].filter((h): h is WorkerProcess => h !== undefined && h.state !== 'exited');
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Starts a worker and waits until it is ready; on failure it is stopped and the error thrown. */
  async #fill(): Promise<WorkerProcess> {
    const h = this.host.spawn(this);
    this.incoming = h;
    try {
      await h.whenReady();
    } catch (err) {
      const { grace, killGrace } = this.host.settings;
      // Give it a short drain (it may have opened connections), then escalate.
      await h.stop('not-ready', Date.now() + Math.min(grace, 1000), killGrace);
      throw err;
    } finally {
      if (this.incoming === h) this.incoming = undefined;
    }
    this.current = h;
    this.host.emit('workerReady', { id: this.id, pid: h.pid });
    return h;
  }

  /** First start. Throws ClusterWorkerNotReadyError. */
  start(): Promise<void> {
    return this.#serial(async () => {
      await this.#fill();
    });
  }

  /**
   * Rolling replacement: a new worker is started and must be ready before the
   * old one leaves the rotation and drains. Throws ClusterWorkerNotReadyError (the old
   * worker keeps serving) when the new one fails.
   */
  replace(reason: Exclude<ShutdownReason, 'stop'>): Promise<void> {
    return this.#serial(async () => {
      if (this.#stopping) return;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      const old = this.current;
      try {
        await this.#fill();
      } catch (err) {
        // A crash restart was due while we tried: schedule it again.
        if (!this.current && !this.#timer && !this.failed) this.#scheduleRestart(0, 'a failed replacement');
        throw err;
      }
      this.restarts++;
      if (reason === 'reload') {
        this.failed = undefined;
        this.crashes.reset();
      }
      if (old && old.state !== 'exited') {
        const { grace, killGrace } = this.host.settings;
        await old.stop(reason, Date.now() + grace, killGrace);
      }
    });
  }

  /** Called for every exit of one of this slot's workers. */
  exited(h: WorkerProcess, exit: Exit): void {
    const reason = h.asked ?? (this.#stopping ? (this.#retired ? 'scale' : 'stop') : 'crash');
    const uptime = formatDuration(Date.now() - h.startedAt);
    const event: ClusterWorkerExitEvent = {
      id: this.id,
      pid: h.pid,
      exitCode: exit.exitCode,
      signal: exit.signal,
      expected: reason !== 'crash',
      reason,
      detail: h.forced
        ? `${describeExit(exit)} after ${uptime} (it did not drain in time and was sent ${h.forced})`
        : `${describeExit(exit)} after ${uptime}`,
    };
    this.lastExit = {
      pid: event.pid,
      exitCode: event.exitCode,
      signal: event.signal,
      reason: event.reason,
      expected: event.expected,
      detail: event.detail,
      at: Date.now(),
    };
    this.host.emit('workerExit', event);
    if (h !== this.current) return; // a failed start is reported by whoever awaited it
    this.current = undefined;
    if (event.expected) return;
    this.host.log(`worker ${this.id} (pid ${h.pid}) crashed: ${event.detail}`);
    this.#scheduleRestart(Date.now() - h.startedAt, describeExit(exit));
  }

  #scheduleRestart(uptime: number, what: string): void {
    if (this.#stopping) return;
    const verdict = this.crashes.crashed(uptime);
    if (!verdict.restart) {
      this.failed = new ClusterCrashLoopError(this.id, verdict.crashes, what);
      this.host.log(this.failed.message);
      this.host.emit('crashLoop', this.failed);
      return;
    }
    const { attempt, delay } = verdict;
    const { maxCrashes } = this.host.settings.restart;
    this.host.log(
      `restarting worker ${this.id} in ${formatDuration(delay)} (crash ${attempt} in a row; the slot is given up at ${maxCrashes})`,
    );
    this.host.emit('workerRestart', { id: this.id, attempt, delay });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#serial(() => this.#restart());
    }, delay);
  }

  async #restart(): Promise<void> {
    if (this.#stopping || this.current) return;
    try {
      await this.#fill();
      this.restarts++;
    } catch (err) {
      if (this.#stopping) return;
      this.host.log(`restart failed: ${(err as ClusterWorkerNotReadyError).message}`);
      this.#scheduleRestart(0, (err as ClusterWorkerNotReadyError).message);
    }
  }

  /** Stops this slot's workers (all slots share the one deadline) and cancels a pending restart; true when one was forced. */
  async stop(deadline: number): Promise<boolean> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const handles = this.live;
    const reason = this.#retired ? 'scale' : 'stop';
    await Promise.all(handles.map((h) => h.stop(reason, deadline, this.host.settings.killGrace)));
    return handles.some((h) => h.forced !== undefined);
  }

  /** Scaled away: drains its worker by `deadline` and never starts another; true when one was forced. */
  retire(deadline: number): Promise<boolean> {
    this.#retired = true;
    return this.stop(deadline);
  }

  /** destroy(): the draining workers of this slot get SIGTERM now. */
  terminate(): void {
    for (const h of this.live) h.terminate();
  }
}
