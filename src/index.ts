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
  CloseResult,
  CommandPoolOptions,
  CommonPoolOptions,
  ModulePoolOptions,
  Percentiles,
  PoolCloseOptions,
  PoolDeadlockEvent,
  PoolOptions,
  PoolProxy,
  PoolState,
  PoolStats,
  PoolWorkerExitEvent,
  RunOptions,
  TaskArgs,
  TaskName,
  TaskResult,
  Transferred,
} from './pool/types.js';
export { availableCpus } from './util/cpus.js';
