// Public types of spindle/cluster: options, worker snapshots, events and the
// typed message protocol shared by the primary and the workers.

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
  /** The server's entry point: an ESM, CJS or TypeScript (via tsx) file. */
  script: string | URL;
  /** Arguments passed to the script (its `process.argv.slice(2)`). */
  args?: string[];
  /** Number of workers, or 'auto' for the CPUs this container may use. Default 'auto'. */
  workers?: number | 'auto';
  /** Extra Node flags for the workers (added to the primary's own `process.execArgv`). */
  execArgv?: string[];
  /** Extra environment variables for the workers. */
  env?: Record<string, string | undefined>;
  /** Working directory of the workers. Default: the primary's. */
  cwd?: string;
  /** Time a draining worker gets before SIGTERM (one deadline for all workers on stop). Default 10s. */
  grace?: Duration;
  /** Time after SIGTERM before SIGKILL. Default 5s. */
  killTimeout?: Duration;
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
  /** Prefix each line of the workers' stdout/stderr with `[id] `. Default false (output is passed through untouched). */
  logPrefix?: boolean;
  /** Where the supervisor's own log lines go: a function, or false for silence. Default: stderr. */
  logger?: ((line: string) => void) | false;
  /** IPC serialization for messages: 'json' (default) or 'advanced' (structured clone). */
  serialization?: 'json' | 'advanced';
}

/** What a worker slot is doing. */
export type WorkerState = 'starting' | 'ready' | 'draining' | 'stopped' | 'waiting' | 'failed';

/** A snapshot of one worker slot. */
export interface WorkerInfo {
  /** Stable slot number, 0-based; a restarted or reloaded worker keeps it. */
  id: number;
  /** Process id of the worker serving this slot, or undefined while none is running. */
  pid: number | undefined;
  state: WorkerState;
  /** Times this slot's worker was started after the first (crashes, reloads, replacements). */
  restarts: number;
  /** Consecutive crashes counted towards the crash-loop breaker. */
  crashes: number;
  /** When the current worker became ready (ms since epoch). */
  readySince: number | undefined;
  /** Resident memory last reported by the worker (bytes), when health checks are on. */
  rss: number | undefined;
}

export interface WorkerEvent {
  id: number;
  pid: number;
}

export interface WorkerExitEvent extends WorkerEvent {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the supervisor asked it to go (drain, stop, replacement); false for a crash. */
  expected: boolean;
}

export interface WorkerRestartEvent {
  id: number;
  /** Consecutive crash number that caused this restart (1 for the first). */
  attempt: number;
  /** Milliseconds waited before restarting. */
  delay: number;
}

export interface WorkerUnhealthyEvent extends WorkerEvent {
  reason: 'heartbeat' | 'memory';
  detail: string;
}

/** Why a worker is asked to drain; handed to `onShutdown` hooks. */
export type ShutdownReason = 'stop' | 'reload' | 'unhealthy';

export interface StopResult {
  /** True when every worker drained and exited on its own within the grace period. */
  clean: boolean;
  /** Slots whose worker had to be sent SIGTERM or SIGKILL. */
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
