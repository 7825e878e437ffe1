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
export { Job } from './job.js';
export { JobQueue, type JobQueueState } from './job-queue.js';
export type { AddOptions, CloseOptions, CloseResult, JobQueueOptions, StoreOption } from './options.js';
export type { JobQueueEvents } from './store/types.js';
export { type WorkHandle, type WorkOptions, type WorkStatus, type WorkWorkerStatus, work } from './work.js';
