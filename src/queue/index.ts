// spindle/queue: jobs run as tasks on a spindle Pool, kept in memory or in
// Redis (through BullMQ) and spread over every machine that runs `work()`.
export { JobQueue } from './job-queue.js';
export { Job } from './job.js';
export { work, type WorkOptions, type WorkHandle } from './work.js';
export type { JobQueueOptions, AddOptions, StoreOption } from './options.js';
export type { Backoff } from './backoff.js';
export type { JobQueueEvents } from './store/types.js';
export {
  JobArgsNotSerializableError,
  JobFailedError,
  JobQueueClosedError,
  QueueDependencyError,
  QueueUnreachableError,
  SpindleError,
  TaskNotFoundError,
} from '../errors.js';
