// Every error spindle throws or rejects with, one file per subsystem. Each
// class carries a literal `name` and a stable `code`; match on `err.code`,
// never on the message. docs/errors.md has one row per code.
import type { InvalidOptionError } from './base.js';
import type { CliError } from './cli.js';
import type * as cluster from './cluster.js';
import type * as control from './control.js';
import type * as exec from './exec.js';
import type * as observe from './observe.js';
import type * as pool from './pool.js';
import type * as queue from './queue.js';
import type * as shared from './shared.js';

export * from './base.js';
export * from './cli.js';
export * from './cluster.js';
export * from './control.js';
export * from './exec.js';
export * from './observe.js';
export * from './pool.js';
export * from './queue.js';
export * from './shared.js';

/** Every concrete error class spindle has, as one union that `code` discriminates. */
export type AnySpindleError =
  | InvalidOptionError
  | pool.PoolError
  | exec.AnyExecError
  | cluster.ClusterError
  | control.ControlError
  | shared.SharedError
  | queue.QueueError
  | observe.ObserveError
  | CliError;

/** Every code spindle uses. */
export type ErrorCode = AnySpindleError['code'];
/** Codes of the pool (`spindle`, `spindle/worker`). */
export type PoolErrorCode = pool.PoolError['code'];
/** Codes of `spindle/cluster` and `spindle start`. */
export type ClusterErrorCode = cluster.ClusterError['code'];
/** Codes of the control plane (the control socket and `spindle ls/status/reload/stop/logs/scale`). */
export type ControlErrorCode = control.ControlError['code'];
/** Codes of `spindle/shared`. */
export type SharedErrorCode = shared.SharedError['code'];
/** Codes of `spindle/queue` and `spindle work`. */
export type QueueErrorCode = queue.QueueError['code'];
/** Codes of observability (`--admin`, `spindle/observe`). */
export type ObserveErrorCode = observe.ObserveError['code'];

/** Every code spindle uses, at run time (the type check below keeps it complete). */
export const errorCodes = [
  'ERR_INVALID_OPTION',
  'ERR_CLI_USAGE',
  'ERR_POOL_CLOSED',
  'ERR_POOL_DESTROYED',
  'ERR_POOL_QUEUE_FULL',
  'ERR_POOL_RELOAD_FAILED',
  'ERR_POOL_SCALE_FAILED',
  'ERR_TASK_ABORTED',
  'ERR_TASK_TIMEOUT',
  'ERR_TASK_NOT_FOUND',
  'ERR_TASK_NOT_CLONEABLE',
  'ERR_TASK_RESULT_NOT_CLONEABLE',
  'ERR_TASK_NON_ERROR_THROWN',
  'ERR_WORKER_CRASHED',
  'ERR_WORKER_LOAD',
  'ERR_WORKER_NOT_FOUND',
  'ERR_WORKER_PROTOCOL',
  'ERR_WORKER_TEARDOWN',
  'ERR_EXEC_NOT_FOUND',
  'ERR_EXEC_SPAWN',
  'ERR_EXEC_EXIT',
  'ERR_EXEC_SIGNAL',
  'ERR_EXEC_TIMEOUT',
  'ERR_EXEC_ABORTED',
  'ERR_EXEC_MAX_BUFFER',
  'ERR_EXEC_STREAM',
  'ERR_EXEC_SHELL_QUOTING',
  'ERR_CLUSTER_SCRIPT_NOT_FOUND',
  'ERR_CLUSTER_TS_LOADER',
  'ERR_CLUSTER_WORKER_NOT_READY',
  'ERR_CLUSTER_START_FAILED',
  'ERR_CLUSTER_RELOAD_FAILED',
  'ERR_CLUSTER_SCALE_FAILED',
  'ERR_CLUSTER_CRASH_LOOP',
  'ERR_CLUSTER_CLOSED',
  'ERR_CLUSTER_PEER_GONE',
  'ERR_CLUSTER_REQUEST_TIMEOUT',
  'ERR_CLUSTER_HANDLER_FAILED',
  'ERR_CLUSTER_CONTEXT',
  'ERR_CONTROL_NAME_IN_USE',
  'ERR_CONTROL_NOT_RUNNING',
  'ERR_CONTROL_BAD_REQUEST',
  'ERR_CONTROL_DIRECTORY',
  'ERR_CONTROL_CONNECTION',
  'ERR_CONTROL_TIMEOUT',
  'ERR_CONTROL_PROTOCOL',
  'ERR_SHARED_TIMEOUT',
  'ERR_SHARED_ABORTED',
  'ERR_SHARED_INVALID_HANDLE',
  'ERR_SHARED_NOT_LOCKED',
  'ERR_SHARED_SEMAPHORE_OVERFLOW',
  'ERR_SHARED_LATCH_UNDERFLOW',
  'ERR_SHARED_BLOCKING_NOT_ALLOWED',
  'ERR_SHARED_CHANNEL_CLOSED',
  'ERR_SHARED_RECORD_TOO_LARGE',
  'ERR_SHARED_UNSUPPORTED_VALUE',
  'ERR_SHARED_MALFORMED_RECORD',
  'ERR_QUEUE_JOB_FAILED',
  'ERR_QUEUE_JOB_NOT_SERIALIZABLE',
  'ERR_QUEUE_CLOSED',
  'ERR_QUEUE_BULLMQ_MISSING',
  'ERR_QUEUE_UNREACHABLE',
  'ERR_QUEUE_AUTH_FAILED',
  'ERR_QUEUE_JOB_REMOVED',
  'ERR_QUEUE_JOB_STATE',
  'ERR_ADMIN_LISTEN',
] as const satisfies readonly ErrorCode[];

// A code added to a class but not to the list above fails to compile here.
type Unlisted = Exclude<ErrorCode, (typeof errorCodes)[number]>;
const complete: [Unlisted] extends [never] ? true : Unlisted = true;
void complete;

const codes: ReadonlySet<string> = new Set(errorCodes);

/**
 * True when `value` is one of spindle's errors (with `code`, of that code), so
 * that `err.code` narrows: `if (isSpindleError(err, 'ERR_TASK_TIMEOUT')) err.timeout`.
 * Works on errors rebuilt after crossing a thread, process or Redis.
 */
export function isSpindleError(value: unknown): value is AnySpindleError;
export function isSpindleError<C extends ErrorCode>(
  value: unknown,
  code: C,
): value is Extract<AnySpindleError, { code: C }>;
export function isSpindleError(value: unknown, code?: string): boolean {
  if (!(value instanceof Error)) return false;
  const c = (value as { code?: unknown }).code;
  if (typeof c !== 'string' || !codes.has(c)) return false;
  return code === undefined || c === code;
}
