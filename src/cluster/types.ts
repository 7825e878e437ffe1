// Public types of spindle/cluster: options, worker snapshots, events and the
// typed message protocol shared by the primary and the workers.

import type { ControlStatusCommon } from '../control/types.js';
import type { PoolSummary, QueueSummary } from '../dashboard/summary.js';
import type { Duration } from '../util/duration.js';

export type { Duration };

/** How connections are pinned to workers: by client IP, a request header or a cookie. */
export type StickySpec = 'ip' | `header:${string}` | `cookie:${string}`;

export interface RestartOptions {
  /** First delay before restarting a crashed worker. Default 100ms. */
  minDelay?: Duration;
  /** Largest delay; the delay doubles per consecutive crash up to this. Default 30s. */
  maxDelay?: Duration;
  /** A worker that ran this long without crashing resets its slot's crash count. Default 30s. */
  stableAfter?: Duration;
  /** Consecutive crashes (each before `stableAfter`) after which a slot is given up. Default 5. */
  maxCrashes?: number;
}

export interface HeartbeatOptions {
  /** How often a worker reports that its event loop is alive. Default: a third of `timeout`. */
  interval?: Duration;
  /** A worker silent this long has a blocked event loop and is replaced. */
  timeout: Duration;
}

export interface ProbeOptions {
  /** Path requested with GET on the new worker before it joins the rotation, e.g. '/healthz'. */
  path: string;
  /** Time allowed for the probe's response. Default 5s. */
  timeout?: Duration;
}

export interface SuperviseOptions {
  /** The server's entry point: a path (absolute, or relative to `cwd`) or a file URL; ESM, CJS or TypeScript (via tsx). */
  script: string | URL;
  /** Arguments passed to the script (its `process.argv.slice(2)`). */
  args?: string[];
  /** Number of workers, or 'auto' for the CPUs this container may use. Default 'auto'. */
  workers?: number | 'auto';
  /** Extra Node flags for the workers (added to the primary's own `process.execArgv`). */
  execArgv?: string[];
  /** Environment of the workers, merged over `process.env` (`undefined` removes a variable). */
  env?: Record<string, string | undefined>;
  /** Start from an empty environment instead of `process.env` (then only `env` is set). Default true. */
  extendEnv?: boolean;
  /** Working directory of the workers: a path or a file URL. Default: the primary's. */
  cwd?: string | URL;
  /** Time a draining worker gets before SIGTERM (one deadline for all workers on close). Default 10s. */
  grace?: Duration;
  /** Time after SIGTERM before SIGKILL. Default 5s. */
  killGrace?: Duration;
  /** Time a new worker gets to become ready. A worker that misses it is stopped, never counted as ready. Default 30s. */
  readyTimeout?: Duration;
  /** Wait for the app to call `ready()` instead of taking its first `listening` as ready. Default false. */
  waitReady?: boolean;
  /** Optional HTTP probe a new worker must pass (2xx) before it takes traffic: a path or options. */
  probe?: string | ProbeOptions;
  /** Pin clients to workers: 'ip', 'header:NAME' or 'cookie:NAME'. Default: none (round robin). */
  sticky?: StickySpec;
  /** Replace workers whose event loop stays blocked: a timeout or options. Default: off. */
  heartbeat?: Duration | HeartbeatOptions | false;
  /** Replace a worker whose RSS stays above this, e.g. '512M'. Default: no limit. */
  maxMemory?: number | string;
  /** Crash restart backoff and crash-loop breaker. */
  restart?: RestartOptions;
  /**
   * A name for the control plane: opens the control socket `<name>.sock`
   * (docs/control.md) so that `spindle status/reload/scale/stop/logs NAME`
   * reach this supervisor, and passes the workers' output through it (kept in
   * a ring per worker for `spindle logs`). Letters, digits, '.', '_', '-', at
   * most 64. Default: none (no socket; output inherited).
   */
  name?: string;
  /** Prefix each line of the workers' stdout/stderr with `[id] `. Default false (output is passed through untouched). */
  logPrefix?: boolean;
  /** 'json': print every output line as one JSON object `{ time, worker, pid, stream, message | json }`. Default 'text'. */
  logFormat?: 'text' | 'json';
  /** Text output: put an ISO time in front of every line. Default false. */
  logTime?: boolean;
  /** Where the supervisor's own log lines go: a function, or false for silence. Default: stderr. */
  logger?: ((line: string) => void) | false;
  /** IPC serialization for messages: 'json' (default) or 'advanced' (structured clone). */
  serialization?: 'json' | 'advanced';
}

/** What a worker slot is doing. */
export type ClusterWorkerState = 'starting' | 'ready' | 'draining' | 'stopped' | 'waiting' | 'failed';

/** A snapshot of one worker slot. */
export interface ClusterWorkerInfo {
  /** Stable slot id, 1 … workers; a restarted or reloaded worker keeps it. */
  id: number;
  /** Process id of the worker serving this slot, or undefined while none is running. */
  pid: number | undefined;
  state: ClusterWorkerState;
  /** Times this slot's worker was started after the first (crashes, reloads, replacements). */
  restarts: number;
  /** Consecutive crashes counted towards the crash-loop breaker. */
  crashes: number;
  /** When the current worker became ready (ms since epoch). */
  readySince: number | undefined;
  /** Resident memory last reported by the worker (bytes; it reports about once a second). */
  rss: number | undefined;
}

/** Which worker: its slot id and process id. */
export interface ClusterWorkerEvent {
  id: number;
  pid: number;
}

/**
 * Why a cluster worker exited: 'crash' (nobody asked it to), 'stop' (the
 * supervisor closed), 'reload' and 'unhealthy' (it was replaced), 'scale' (its
 * slot was removed by `scale()`), 'not-ready' (a new worker that did not
 * become ready was stopped).
 */
export type ClusterWorkerExitReason = 'crash' | 'stop' | 'reload' | 'unhealthy' | 'scale' | 'not-ready';

/** A cluster worker exited (the same shape as the pool's `PoolWorkerExitEvent`). */
export interface ClusterWorkerExitEvent extends ClusterWorkerEvent {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** True when the supervisor asked it to go (close, reload, replacement); false for a crash. */
  expected: boolean;
  reason: ClusterWorkerExitReason;
  /** How it ended, for people: 'exited with code 1 after 2.5s', 'killed with SIGTERM at the grace deadline'. */
  detail: string;
}

export interface ClusterWorkerRestartEvent {
  id: number;
  /** Consecutive crash number that caused this restart (1 for the first). */
  attempt: number;
  /** Milliseconds waited before restarting. */
  delay: number;
}

export interface ClusterWorkerUnhealthyEvent extends ClusterWorkerEvent {
  reason: 'heartbeat' | 'memory';
  detail: string;
}

/** Why a worker is asked to drain; handed to `onShutdown` hooks. */
export type ShutdownReason = 'stop' | 'reload' | 'unhealthy' | 'scale';

/** The supervisor's lifecycle: `supervise()` resolves once it is 'running'. */
export type SupervisorState = 'starting' | 'running' | 'closing' | 'closed';

/** Figures a worker reports about itself once a second (the stats of `spindle status`). */
export interface ClusterWorkerStats {
  /** Resident memory, bytes. */
  rss: number;
  /** V8 heap in use, bytes. */
  heapUsed: number;
  /** CPU used over the last interval, in percent of one core (200 = two cores busy). */
  cpu: number;
  /** CPU time (user + system) since the worker started, seconds. */
  cpuSeconds: number;
  /** Event-loop delay over the last interval, ms (sampled every 20 ms). */
  eventLoopDelay: { p50: number; p99: number; max: number };
  /** Share of the last interval the event loop was busy, 0 … 1. */
  eventLoopUtilization: number;
  /** The spindle pools in the worker process (those it runs now), when it has any. */
  pools?: PoolSummary[];
  /** The job queues in the worker process, when it has any. */
  queues?: QueueSummary[];
  /** When the supervisor received it (ms since the epoch). */
  at: number;
}

/** How the last worker of a slot ended. */
export interface ClusterWorkerLastExit {
  pid: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  reason: ClusterWorkerExitReason;
  expected: boolean;
  detail: string;
  /** When (ms since the epoch). */
  at: number;
}

/** One worker slot in `sup.status()` (and `spindle status --json`). Absent values are null. */
export interface ClusterWorkerStatus {
  /** Slot id, 1 … workers. */
  id: number;
  pid: number | null;
  state: ClusterWorkerState;
  /** When the running worker's process started (ms since the epoch). */
  startedAt: number | null;
  /** When it became ready. */
  readySince: number | null;
  /** Milliseconds since `startedAt`. */
  uptime: number | null;
  restarts: number;
  crashes: number;
  lastExit: ClusterWorkerLastExit | null;
  /** null until the worker's first report (about a second after it starts). */
  stats: ClusterWorkerStats | null;
}

/**
 * The one snapshot of a supervisor: `sup.status()`, the control socket's
 * `status`, `spindle status --json` (docs/control.md has the stable shape).
 */
export interface SupervisorStatus extends ControlStatusCommon {
  kind: 'start';
  state: SupervisorState;
  /** The script the workers run (absolute path). */
  script: string;
  /** Rolling reloads since start, by outcome. */
  reloads: { ok: number; failed: number };
  /** Worker crashes (exits nobody asked for) since start. */
  crashes: number;
  /** The supervisor process itself. */
  supervisor: { rss: number; heapUsed: number; cpuSeconds: number };
  /** Every slot in id order, then slots being scaled away (still draining). */
  workers: ClusterWorkerStatus[];
}

/** What `sup.scale()` resolves. */
export interface ScaleResult {
  /** Workers now. */
  workers: number;
  /** Workers before. */
  previous: number;
  /** Slot ids started. */
  started: number[];
  /** Slot ids drained and removed. */
  stopped: number[];
}

export interface CloseOptions {
  /** Time every worker gets to drain before SIGTERM. Default: the `grace` option (10s). */
  grace?: Duration;
}

export interface CloseResult {
  /** True when every worker drained and exited on its own within the grace period. */
  clean: boolean;
  /** Slot ids whose worker had to be sent SIGTERM or SIGKILL. */
  forced: number[];
}

/**
 * The messages a primary and its workers exchange, by topic. Declare one and
 * pass it to `supervise<P>()` and `primary<P>()` to type both ends.
 */
export interface ClusterProtocol {
  /** Messages the primary sends to workers (send/broadcast): topic → payload. */
  toWorker?: Record<string, unknown>;
  /** Messages workers send to the primary: topic → payload. */
  toPrimary?: Record<string, unknown>;
  /** Requests the primary makes of a worker: topic → handler signature. */
  workerRequests?: Record<string, (data: any) => unknown>;
  /** Requests a worker makes of the primary: topic → handler signature. */
  primaryRequests?: Record<string, (data: any) => unknown>;
}

type Or<T, D> = unknown extends T ? D : undefined extends T ? D : NonNullable<T>;
/** Topic → payload map for messages to workers. */
export type ToWorker<P extends ClusterProtocol> = Or<P['toWorker'], Record<string, any>>;
/** Topic → payload map for messages to the primary. */
export type ToPrimary<P extends ClusterProtocol> = Or<P['toPrimary'], Record<string, any>>;
/** Topic → handler map for requests served by workers. */
export type WorkerRequests<P extends ClusterProtocol> = Or<P['workerRequests'], Record<string, (data: any) => any>>;
/** Topic → handler map for requests served by the primary. */
export type PrimaryRequests<P extends ClusterProtocol> = Or<P['primaryRequests'], Record<string, (data: any) => any>>;

/** The payload a request handler takes. */
export type RequestData<F> = F extends (data: infer D) => unknown ? D : never;
/** The reply a request resolves with (the handler's awaited return). */
export type RequestReply<F> = F extends (...args: any[]) => infer R ? Awaited<R> : never;

export interface RequestOptions {
  /** Reject with ERR_CLUSTER_REQUEST_TIMEOUT when no reply comes within this. Default 10s. */
  timeout?: Duration;
}
