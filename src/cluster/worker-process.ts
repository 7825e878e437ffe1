// The primary's view of one worker process: fork, readiness (ready signal,
// then the optional HTTP probe), the one table that routes the worker's
// messages, and the drain → SIGTERM → SIGKILL escalation.
import cluster, { type Worker } from 'node:cluster';
import { ClusterClosedError, ClusterPeerGoneError, ClusterWorkerNotReadyError } from '../errors/index.js';
import { rebuildError } from '../errors/remote.js';
import { formatDuration } from '../util/duration.js';
import { CONFIG_ENV, ID_ENV, type WorkerConfig } from './app/config.js';
import type { Settings } from './options.js';
import {
  type Dispatch,
  dispatch,
  isSpindleMessage,
  type MsgMessage,
  type ReqMessage,
  type StickyListenMessage,
  type ToPrimaryMessage,
  type ToWorkerMessage,
} from './protocol.js';
import { PendingRequests } from './rpc.js';
import { removeSockets, socketDirectory } from './sockets.js';
import type { ClusterWorkerExitReason, ClusterWorkerStats, ShutdownReason } from './types.js';
import { guard, release } from './watchdog.js';

export interface Exit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/** What the supervisor does with a worker's messages and its exit. */
export interface WorkerProcessHost {
  beat(worker: WorkerProcess): void;
  message(worker: WorkerProcess, m: MsgMessage): void;
  request(worker: WorkerProcess, m: ReqMessage): void;
  stickyListen(worker: WorkerProcess, m: StickyListenMessage): void;
  exit(worker: WorkerProcess, exit: Exit): void;
  /** Takes the piped stdout/stderr of a worker (when `settings.pipe`). */
  output(worker: WorkerProcess): void;
}

/** Describes how a process ended: 'exited with code 1', 'killed by SIGKILL'. */
export function describeExit({ exitCode, signal }: Exit): string {
  return signal ? `killed by ${signal}` : `exited with code ${exitCode}`;
}

/**
 * Every message a worker sends, routed in one place (DESIGN.md rule 3): the
 * compiler checks that each kind of ToPrimaryMessage has its handler.
 */
const fromWorker: Dispatch<ToPrimaryMessage, WorkerProcess> = {
  ready: (m, w) => w.signalledReady(m.probe, m.held),
  admitted: (m, w) => w.admitted(m.error ? rebuildError(m.error) : undefined),
  beat: (m, w) => {
    w.lastBeat = Date.now();
    w.rss = m.rss;
    w.host.beat(w);
  },
  stats: (m, w) => {
    w.rss = m.rss;
    w.stats = {
      rss: m.rss,
      heapUsed: m.heapUsed,
      cpu: m.cpu,
      cpuSeconds: m.cpuSeconds,
      eventLoopDelay: { p50: m.delayP50, p99: m.delayP99, max: m.delayMax },
      eventLoopUtilization: m.elu,
      at: Date.now(),
      ...(m.sources ? { pools: m.sources.pools, queues: m.sources.queues } : {}),
    };
  },
  'sticky-listen': (m, w) => w.host.stickyListen(w, m),
  msg: (m, w) => w.host.message(w, m),
  req: (m, w) => w.host.request(w, m),
  res: (m, w) => w.pending.answer(m),
};

/** Forks with exactly the environment of conventions rule 5 (cluster.fork always spreads process.env first). */
function forkEnv(settings: Settings, own: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  if (!settings.extendEnv) for (const key of Object.keys(process.env)) env[key] = undefined;
  return Object.assign(env, settings.env, own);
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
  /** The worker's last stats report (app/stats.ts). */
  stats: ClusterWorkerStats | undefined;
  /** Consecutive heartbeats above maxMemory. */
  overMemory = 0;
  /** Set once a health problem was reported, so it is acted on once. */
  unhealthy = false;
  /** Why the supervisor asked it to go; undefined while nobody has (its exit would be a crash). */
  asked: Exclude<ClusterWorkerExitReason, 'crash'> | undefined;
  /** The signal that had to end it (SIGTERM at the deadline, SIGKILL after killGrace). */
  forced: NodeJS.Signals | undefined;
  exit: Exit | undefined;
  #probe: string | undefined;
  #held = false;
  #onReady: (() => void) | undefined;
  #onAdmitted: ((error?: Error) => void) | undefined;
  #term: (() => void) | undefined;

  constructor(
    readonly id: number,
    private readonly settings: Settings,
    readonly host: WorkerProcessHost,
  ) {
    const hold = settings.sticky !== undefined || settings.waitReady || settings.probe !== undefined;
    const config: WorkerConfig = {
      id,
      sticky: settings.sticky !== undefined,
      waitReady: settings.waitReady,
      beat: settings.heartbeat?.interval ?? (settings.maxMemory ? 1000 : 0),
      stats: settings.statsInterval,
      hold,
      ...(hold ? { sockets: socketDirectory() } : {}),
    };
    // setupPrimary only changes the settings of the next fork, so several
    // supervisors (with different scripts) can share one primary process.
    cluster.setupPrimary({
      exec: settings.script,
      args: settings.args,
      execArgv: settings.execArgv,
      silent: settings.pipe,
      serialization: settings.serialization,
      cwd: settings.cwd,
    } as Parameters<typeof cluster.setupPrimary>[0]);
    this.worker = cluster.fork(forkEnv(settings, { [CONFIG_ENV]: JSON.stringify(config), [ID_ENV]: String(id) }));
    this.pid = this.worker.process.pid ?? -1;
    guard(this.pid, settings.killGrace);
    if (settings.pipe) host.output(this);
    this.worker.on('message', (m: unknown) => {
      if (isSpindleMessage(m)) dispatch(fromWorker, m as ToPrimaryMessage, this);
    });
    // A worker that fails to spawn emits 'error' and then 'exit'; the exit carries the verdict.
    this.worker.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (exitCode: number | null, signal: NodeJS.Signals | null) => {
        const exit: Exit = { exitCode, signal };
        this.state = 'exited';
        this.exit = exit;
        release(this.pid);
        if (hold) removeSockets(this.pid);
        // A worker asked to stop (the supervisor closing) takes its unanswered requests with it.
        this.pending.rejectAll((topic) =>
          this.asked === 'stop'
            ? new ClusterClosedError(`get a reply to '${topic}' from worker ${id}`)
            : new ClusterPeerGoneError(`Request '${topic}' failed: worker ${id} ${describeExit(exit)}`),
        );
        host.exit(this, exit);
        resolve(exit);
      });
    });
  }

  /** The worker said it is ready (`ready` message). */
  signalledReady(probe: string | undefined, held: boolean): void {
    this.#probe = probe;
    this.#held = held;
    this.#onReady?.();
  }

  /** The worker answered `admit`. */
  admitted(error: Error | undefined): void {
    this.#onAdmitted?.(error);
  }

  /** Sends a protocol message if the worker is still connected. */
  post(m: ToWorkerMessage): boolean {
    if (!this.worker.isConnected()) return false;
    this.worker.send(m);
    return true;
  }

  #notReady(reason: 'exit' | 'timeout' | 'probe' | 'listen', what: string, details = {}): ClusterWorkerNotReadyError {
    return new ClusterWorkerNotReadyError(this.id, reason, `worker ${this.id} (pid ${this.pid}) ${what}`, details);
  }

  /**
   * Resolves once the worker said it is ready and passed the probe; rejects
   * with ClusterWorkerNotReadyError when it exits first, misses the timeout or
   * fails the probe. A timeout never counts as ready: the one timer covers the
   * ready signal, the probe and the admission.
   */
  async whenReady(): Promise<void> {
    const { readyTimeout } = this.settings;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(this.#notReady('timeout', `was not ready within ${formatDuration(readyTimeout)}`)),
        readyTimeout,
      );
    });
    const died = this.exited.then((exit): never => {
      throw this.#notReady('exit', `${describeExit(exit)} before it was ready`, {
        exitCode: exit.exitCode,
        signal: exit.signal,
      });
    });
    timedOut.catch(() => {});
    died.catch(() => {});
    try {
      await Promise.race([this.#checks(), timedOut, died]);
      if (this.state === 'exited') await died;
      this.state = 'ready';
      this.readyAt = Date.now();
      this.lastBeat = Date.now();
    } finally {
      clearTimeout(timer);
      this.#onReady = undefined;
      this.#onAdmitted = undefined;
    }
  }

  async #checks(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#onReady = resolve;
    });
    const p = this.settings.probe;
    if (p) {
      if (!this.#probe) throw this.#notReady('probe', `has no HTTP server to probe at ${p.path}`);
      try {
        // Loaded on demand: node:http is a few MB the supervisor need not carry without probes.
        const { probe } = await import('./probe.js');
        await probe(this.#probe, p.path, p.timeout);
      } catch (cause) {
        throw this.#notReady('probe', `failed its ${(cause as Error).message}`, { cause });
      }
    }
    if (this.#held && !this.settings.sticky) {
      const error = await new Promise<Error | undefined>((resolve) => {
        this.#onAdmitted = resolve;
        this.post({ $spindle: 'admit' });
      });
      if (error) throw this.#notReady('listen', `could not listen: ${error.message}`, { cause: error });
    }
  }

  /**
   * Drains the worker: shutdown message (onShutdown hooks), cluster disconnect
   * (its servers stop accepting), then SIGTERM at `deadline` and SIGKILL
   * `killGrace` later. Resolves when the process has exited. A second call
   * (close after a reload began the drain) keeps the earlier deadline unless
   * `deadline` is sooner.
   */
  async stop(reason: ShutdownReason | 'not-ready', deadline: number, killGrace: number): Promise<Exit> {
    if (this.exit) return this.exit;
    if (!this.asked) {
      this.asked = reason;
      this.state = 'draining';
      this.post({ $spindle: 'shutdown', reason: reason === 'not-ready' ? 'stop' : reason, deadline });
      if (this.worker.isConnected()) this.worker.disconnect();
    }
    let kill: NodeJS.Timeout | undefined;
    const terminate = () => {
      clearTimeout(term);
      if (this.forced || this.exit) return;
      this.forced = 'SIGTERM';
      this.signal('SIGTERM');
      kill = setTimeout(() => {
        this.forced = 'SIGKILL';
        this.signal('SIGKILL');
      }, killGrace);
    };
    const term = setTimeout(terminate, Math.max(0, deadline - Date.now()));
    const previous = this.#term;
    this.#term = () => {
      previous?.();
      terminate();
    };
    try {
      return await this.exited;
    } finally {
      clearTimeout(term);
      clearTimeout(kill);
    }
  }

  /** Skips what is left of the drain: SIGTERM now, SIGKILL after killGrace (destroy()). */
  terminate(): void {
    this.#term?.();
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
