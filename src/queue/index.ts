// spindle/queue: jobs run as tasks on a spindle Pool, kept in memory or in
// Redis (through BullMQ) and spread over every machine that runs `work()`.

export {
  type AnySpindleError,
  type ErrorCode,
  errorCodes,
  InvalidOptionError,
  isSpindleError,
  type QueueErrorCode,
  SpindleError,
  TaskNotFoundError,
} from '../errors/index.js';
export * from '../errors/queue.js';
export type { Backoff } from './backoff.js';
export { Job, type JobCounts, type JobState, type ListedJobState } from './job.js';
export { JobQueue, type JobQueueState } from './job-queue.js';
export type { JobKeepOptions, KeepOptions, KeepRule } from './keep.js';
export type { Limiter } from './limits.js';
export type {
  AddOptions,
  CleanOptions,
  CloseOptions,
  CloseResult,
  JobQueueOptions,
  JobsOptions,
  RemoveWaitingOptions,
  StoreOption,
} from './options.js';
export type { ScheduleInfo, ScheduleOptions } from './schedule.js';
export type { CleanState, JobQueueEvents } from './store/types.js';
export { type WorkHandle, type WorkOptions, type WorkStatus, type WorkWorkerStatus, work } from './work.js';
