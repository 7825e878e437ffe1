// Public entry of `spindle`: thin re-exports only.
export {
  type AnySpindleError,
  type ErrorCode,
  errorCodes,
  InvalidOptionError,
  isSpindleError,
  type PoolErrorCode,
  SpindleError,
} from './errors/index.js';
export * from './errors/pool.js';
export { Pool, type PoolEvents } from './pool/pool.js';
export type {
  AnyModule,
  BroadcastOptions,
  BroadcastOutcome,
  CloseResult,
  CommandPoolOptions,
  CommonPoolOptions,
  InlineArgs,
  InlineResult,
  ModulePoolOptions,
  Percentiles,
  PoolCloseOptions,
  PoolDeadlockEvent,
  PoolOptions,
  PoolProxy,
  PoolReloadResult,
  PoolScaleResult,
  PoolState,
  PoolStats,
  PoolWorkerEvent,
  PoolWorkerExitEvent,
  PoolWorkerInfo,
  RunOptions,
  TaskArgs,
  TaskName,
  TaskResult,
  Transferred,
  WorkerDataFn,
} from './pool/types.js';
export { availableCpus } from './util/cpus.js';
