// The primary's view of one worker process: fork, readiness (ready signal,
// then the optional HTTP probe), IPC routing, and the drain → SIGTERM →
// SIGKILL escalation.
import cluster, { type Worker } from 'node:cluster';
import { ClusterPeerGoneError, ClusterWorkerNotReadyError } from '../errors/index.js';
import { rebuildError } from '../errors/remote.js';
import { formatDuration } from '../util/duration.js';
import { prefixLines } from '../util/prefix.js';
import { CONFIG_ENV, ID_ENV, type WorkerConfig } from './app/config.js';
import type { Settings } from './options.js';
import { type Dispatch, dispatch, isSpindleMessage, type ToPrimaryMessage, type ToWorkerMessage } from './protocol.js';
import { PendingRequests } from './rpc.js';
import type { ShutdownReason } from './types.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What a worker process reports to its supervisor. */
export interface HandleEvents {
  message(worker: WorkerProcess, m: ToPrimaryMessage): void;
  exit(worker: WorkerProcess, exit: Exit): void;
}

/** Describes how a process ended: 'code 1', 'signal SIGKILL'. */
export function describeExit({ code, signal }: Exit): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}

export class WorkerProcess {
  readonly worker: Worker;
  readonly pid: number;
  readonly startedAt = Date.now();
  readonly pending = new PendingRequests();
  readonly exited: Promise<Exit>;
  state: 'starting' | 'ready' | 'draining' | 'exited' = 'starting';
  readyAt: number | undefined;
  lastBeat = Date.now();
  rss: number | undefined;
  /** Consecutive heartbeats above maxMemory. */
  overMemory = 0;
  /** Set once a health problem was reported, so it is acted on once. */
  unhealthy = false;
  /** The supervisor asked it to go (drain, stop, replacement): its exit is expected. */
  asked = false;
  /** SIGTERM or SIGKILL was needed to end it. */
  forced = false;
  exit: Exit | undefined;
  #probePort: number | undefined;
  #held = false;
  #onReady: (() => void) | undefined;
  #onAdmitted: ((error?: Error) => void) | undefined;

  constructor(
    readonly id: number,
    private readonly settings: Settings,
    events: HandleEvents,
  ) {
    const config: WorkerConfig = {
      id,
      sticky: settings.sticky !== undefined,
      waitReady: settings.waitReady,
      beat: settings.heartbeat?.interval ?? (settings.maxMemory ? 1000 : 0),
      hold: settings.sticky !== undefined || settings.waitReady || settings.probe !== undefined,
    };
    // setupPrimary only changes the settings of the next fork, so several
    // supervisors (with different scripts) can share one primary process.
    cluster.setupPrimary({
      exec: settings.script,
      args: settings.args,
      execArgv: settings.execArgv,
      silent: settings.logPrefix,
      serialization: settings.serialization,
      cwd: settings.cwd,
    } as Parameters<typeof cluster.setupPrimary>[0]);
    this.worker = cluster.fork({ ...settings.env, [CONFIG_ENV]: JSON.stringify(config), [ID_ENV]: String(id) });
    this.pid = this.worker.process.pid ?? -1;
    if (settings.logPrefix) {
      const { stdout, stderr } = this.worker.process;
      if (stdout) prefixLines(stdout, process.stdout, `[${id}] `);
      if (stderr) prefixLines(stderr, process.stderr, `[${id}] `);
    }
    const table: Dispatch<ToPrimaryMessage, undefined> = {
      ready: (m) => {
        this.#probePort = m.probePort;
        this.#held = m.held;
        this.#onReady?.();
      },
      admitted: (m) => this.#onAdmitted?.(m.error ? rebuildError(m.error) : undefined),
      beat: (m) => {
        this.lastBeat = Date.now();
        this.rss = m.rss;
      },
      res: (m) => this.pending.answer(m),
    };
    this.worker.on('message', (m: unknown) => {
      if (!isSpindleMessage(m)) return;
      dispatch(table, m as ToPrimaryMessage, undefined);
      events.message(this, m as ToPrimaryMessage);
    });
    // A worker that fails to spawn emits 'error' and then 'exit'; the exit carries the verdict.
    this.worker.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
        const exit: Exit = { code, signal };
        this.state = 'exited';
        this.exit = exit;
        this.pending.rejectAll(
          (topic) => new ClusterPeerGoneError(`Request '${topic}' failed: worker ${id} exited (${describeExit(exit)})`),
        );
        events.exit(this, exit);
        resolve(exit);
      });
    });
  }

  /** Sends a protocol message if the worker is still connected. */
  post(m: ToWorkerMessage): boolean {
    if (!this.worker.isConnected()) return false;
    this.worker.send(m);
    return true;
  }

  /**
   * Resolves once the worker said it is ready and passed the probe; rejects
   * with ClusterWorkerNotReadyError when it exits first, misses the timeout or fails
   * the probe. A timeout never counts as ready.
   */
  async whenReady(): Promise<void> {
    const { readyTimeout } = this.settings;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.#onReady = resolve;
        timer = setTimeout(
          () =>
            reject(
              new ClusterWorkerNotReadyError(
                this.id,
                'timeout',
                `worker ${this.id} (pid ${this.pid}) was not ready within ${formatDuration(readyTimeout)}`,
              ),
            ),
          readyTimeout,
        );
        void this.exited.then((exit) =>
          reject(
            new ClusterWorkerNotReadyError(
              this.id,
              'exit',
              `worker ${this.id} (pid ${this.pid}) exited with ${describeExit(exit)} before it was ready`,
              { exitCode: exit.code, signal: exit.signal },
            ),
          ),
        );
      });
      const p = this.settings.probe;
      if (p) {
        if (!this.#probePort) {
          throw new ClusterWorkerNotReadyError(
            this.id,
            'probe',
            `worker ${this.id} has no HTTP server to probe at ${p.path}`,
          );
        }
        try {
          // Loaded on demand: node:http is a few MB the supervisor need not carry without probes.
          const { probe } = await import('./probe.js');
          await probe(this.#probePort, p.path, p.timeout);
        } catch (cause) {
          throw new ClusterWorkerNotReadyError(
            this.id,
            'probe',
            `worker ${this.id} (pid ${this.pid}) failed its ${(cause as Error).message}`,
            {
              cause,
            },
          );
        }
      }
      if (this.#held && !this.settings.sticky) await this.#admit();
      if (this.state === 'exited') {
        const exit = this.exit!;
        throw new ClusterWorkerNotReadyError(
          this.id,
          'exit',
          `worker ${this.id} exited with ${describeExit(exit)} before it was ready`,
        );
      }
      this.state = 'ready';
      this.readyAt = Date.now();
      this.lastBeat = Date.now();
    } finally {
      clearTimeout(timer);
      this.#onReady = undefined;
    }
  }

  /** Lets a held worker's servers join the shared port (see worker/hold.ts). */
  async #admit(): Promise<void> {
    const error = await new Promise<Error | undefined>((resolve) => {
      this.#onAdmitted = resolve;
      void this.exited.then(() => resolve(new Error('it exited')));
      this.post({ $spindle: 'admit' });
    });
    this.#onAdmitted = undefined;
    if (error) {
      throw new ClusterWorkerNotReadyError(
        this.id,
        'listen',
        `worker ${this.id} (pid ${this.pid}) could not listen: ${error.message}`,
        {
          cause: error,
        },
      );
    }
  }

  /**
   * Drains the worker: shutdown message (onShutdown hooks), cluster disconnect
   * (its servers stop accepting), then SIGTERM at `deadline` and SIGKILL
   * `killTimeout` later. Resolves when the process has exited.
   */
  async stop(reason: ShutdownReason, deadline: number, killTimeout: number): Promise<Exit> {
    if (this.exit) return this.exit;
    if (!this.asked) {
      this.asked = true;
      this.state = 'draining';
      this.post({ $spindle: 'shutdown', reason, deadline });
      if (this.worker.isConnected()) this.worker.disconnect();
    }
    let kill: NodeJS.Timeout | undefined;
    const term = setTimeout(
      () => {
        this.forced = true;
        this.signal('SIGTERM');
        kill = setTimeout(() => this.signal('SIGKILL'), killTimeout);
      },
      Math.max(0, deadline - Date.now()),
    );
    try {
      return await this.exited;
    } finally {
      clearTimeout(term);
      clearTimeout(kill);
    }
  }

  /** Sends a signal to the worker process, ignoring one that already exited. */
  signal(sig: NodeJS.Signals): void {
    if (this.exit) return;
    try {
      this.worker.process.kill(sig);
    } catch {
      // already gone
    }
  }
}
