// Errors of spindle/cluster (the supervisor and the app side): codes ERR_CLUSTER_*.
import { named, SpindleError } from './base.js';

/** `supervise()` was given a script that does not exist. */
export class ClusterScriptNotFoundError extends SpindleError<'ERR_CLUSTER_SCRIPT_NOT_FOUND'> {
  declare readonly name: 'ClusterScriptNotFoundError';
  readonly script: string;
  constructor(script: string) {
    super('ERR_CLUSTER_SCRIPT_NOT_FOUND', `Cannot start workers: the script ${script} does not exist`);
    this.script = script;
  }
  static {
    named(ClusterScriptNotFoundError, 'ClusterScriptNotFoundError');
  }
}

/** A TypeScript entry point needs tsx, and it could not be found. */
export class ClusterTsLoaderError extends SpindleError<'ERR_CLUSTER_TS_LOADER'> {
  declare readonly name: 'ClusterTsLoaderError';
  constructor(script: string) {
    super(
      'ERR_CLUSTER_TS_LOADER',
      `Cannot run the TypeScript entry ${script}: install tsx next to it (npm i -D tsx), or compile it to JavaScript first`,
    );
  }
  static {
    named(ClusterTsLoaderError, 'ClusterTsLoaderError');
  }
}

/** Why a worker never became ready: it exited first, missed the ready timeout, failed the HTTP probe, or could not listen. */
export type WorkerNotReadyReason = 'exit' | 'timeout' | 'probe' | 'listen';

/** A worker did not become ready (it exited, timed out or failed its probe). */
export class ClusterWorkerNotReadyError extends SpindleError<'ERR_CLUSTER_WORKER_NOT_READY'> {
  declare readonly name: 'ClusterWorkerNotReadyError';
  readonly workerId: number;
  readonly reason: WorkerNotReadyReason;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  constructor(
    workerId: number,
    reason: WorkerNotReadyReason,
    message: string,
    details: { exitCode?: number | null; signal?: NodeJS.Signals | null; cause?: unknown } = {},
  ) {
    super('ERR_CLUSTER_WORKER_NOT_READY', message, { cause: details.cause });
    this.workerId = workerId;
    this.reason = reason;
    this.exitCode = details.exitCode ?? null;
    this.signal = details.signal ?? null;
  }
  static {
    named(ClusterWorkerNotReadyError, 'ClusterWorkerNotReadyError');
  }
}

/** The initial workers did not all become ready, so `supervise()` stopped them and rejected. */
export class ClusterStartFailedError extends SpindleError<'ERR_CLUSTER_START_FAILED'> {
  declare readonly name: 'ClusterStartFailedError';
  constructor(cause: ClusterWorkerNotReadyError) {
    super('ERR_CLUSTER_START_FAILED', `Cluster failed to start: ${cause.message}`, { cause });
  }
  static {
    named(ClusterStartFailedError, 'ClusterStartFailedError');
  }
}

/** A rolling reload stopped because a new worker did not become ready; the old worker keeps serving. */
export class ClusterReloadFailedError extends SpindleError<'ERR_CLUSTER_RELOAD_FAILED'> {
  declare readonly name: 'ClusterReloadFailedError';
  readonly workerId: number;
  constructor(cause: ClusterWorkerNotReadyError) {
    super(
      'ERR_CLUSTER_RELOAD_FAILED',
      `Reload refused: ${cause.message}; the old worker ${cause.workerId} keeps serving`,
      { cause },
    );
    this.workerId = cause.workerId;
  }
  static {
    named(ClusterReloadFailedError, 'ClusterReloadFailedError');
  }
}

/** Scaling up stopped because a new worker did not become ready; the new workers were stopped again and the old ones keep serving. */
export class ClusterScaleFailedError extends SpindleError<'ERR_CLUSTER_SCALE_FAILED'> {
  declare readonly name: 'ClusterScaleFailedError';
  readonly workerId: number;
  /** The number of workers asked for. */
  readonly wanted: number;
  /** The number of workers still running (the number before the scale). */
  readonly workers: number;
  constructor(cause: ClusterWorkerNotReadyError, wanted: number, workers: number) {
    super(
      'ERR_CLUSTER_SCALE_FAILED',
      `Scale to ${wanted} workers refused: ${cause.message}; the ${workers} running worker${workers === 1 ? '' : 's'} keep${workers === 1 ? 's' : ''} serving`,
      { cause },
    );
    this.workerId = cause.workerId;
    this.wanted = wanted;
    this.workers = workers;
  }
  static {
    named(ClusterScaleFailedError, 'ClusterScaleFailedError');
  }
}

/** A worker slot kept crashing, so the supervisor stopped restarting it. */
export class ClusterCrashLoopError extends SpindleError<'ERR_CLUSTER_CRASH_LOOP'> {
  declare readonly name: 'ClusterCrashLoopError';
  readonly workerId: number;
  readonly crashes: number;
  constructor(workerId: number, crashes: number, last: string) {
    super(
      'ERR_CLUSTER_CRASH_LOOP',
      `Worker ${workerId} crashed ${crashes} times in a row (last: ${last}); it will not be restarted until the next reload`,
    );
    this.workerId = workerId;
    this.crashes = crashes;
  }
  static {
    named(ClusterCrashLoopError, 'ClusterCrashLoopError');
  }
}

/** The supervisor is closing or closed, so it cannot do what was asked. */
export class ClusterClosedError extends SpindleError<'ERR_CLUSTER_CLOSED'> {
  declare readonly name: 'ClusterClosedError';
  constructor(what: string) {
    super('ERR_CLUSTER_CLOSED', `Cannot ${what}: the supervisor is closing or closed`);
  }
  static {
    named(ClusterClosedError, 'ClusterClosedError');
  }
}

/** The other side of a cluster message went away (exited, disconnected) or does not exist. */
export class ClusterPeerGoneError extends SpindleError<'ERR_CLUSTER_PEER_GONE'> {
  declare readonly name: 'ClusterPeerGoneError';
  constructor(message: string) {
    super('ERR_CLUSTER_PEER_GONE', message);
  }
  static {
    named(ClusterPeerGoneError, 'ClusterPeerGoneError');
  }
}

/** A cluster request got no reply within its timeout. */
export class ClusterRequestTimeoutError extends SpindleError<'ERR_CLUSTER_REQUEST_TIMEOUT'> {
  declare readonly name: 'ClusterRequestTimeoutError';
  readonly topic: string;
  constructor(topic: string, timeout: number) {
    super('ERR_CLUSTER_REQUEST_TIMEOUT', `Request '${topic}' got no reply within ${timeout} ms`);
    this.topic = topic;
  }
  static {
    named(ClusterRequestTimeoutError, 'ClusterRequestTimeoutError');
  }
}

/** The handler of a cluster request threw or rejected, or no handler exists for the topic; `cause` is its error, rebuilt. */
export class ClusterHandlerFailedError extends SpindleError<'ERR_CLUSTER_HANDLER_FAILED'> {
  declare readonly name: 'ClusterHandlerFailedError';
  readonly topic: string;
  constructor(topic: string, cause: Error) {
    super('ERR_CLUSTER_HANDLER_FAILED', `Handler for '${topic}' failed: ${cause.name}: ${cause.message}`, { cause });
    this.topic = topic;
  }
  static {
    named(ClusterHandlerFailedError, 'ClusterHandlerFailedError');
  }
}

/** An API meant for a supervised worker process was used outside one (or the reverse). */
export class ClusterContextError extends SpindleError<'ERR_CLUSTER_CONTEXT'> {
  declare readonly name: 'ClusterContextError';
  constructor(message: string) {
    super('ERR_CLUSTER_CONTEXT', message);
  }
  static {
    named(ClusterContextError, 'ClusterContextError');
  }
}

/** Every error class of spindle/cluster, as a union that `code` discriminates. */
export type ClusterError =
  | ClusterScriptNotFoundError
  | ClusterTsLoaderError
  | ClusterWorkerNotReadyError
  | ClusterStartFailedError
  | ClusterReloadFailedError
  | ClusterScaleFailedError
  | ClusterCrashLoopError
  | ClusterClosedError
  | ClusterPeerGoneError
  | ClusterRequestTimeoutError
  | ClusterHandlerFailedError
  | ClusterContextError;
