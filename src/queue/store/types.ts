// What a JobQueue needs from a place that keeps jobs (memory, Redis).
import type { Job } from '../job.js';
import type { ResolvedAdd } from '../options.js';

/** Payloads of the JobQueue events. */
export interface JobQueueEvents {
  completed: [{ jobId: string; result: unknown }];
  /** the job failed for good: `error` is ERR_QUEUE_JOB_FAILED */
  failed: [{ jobId: string; error: Error }];
  /** an attempt failed and another follows after `delay` ms */
  retrying: [{ jobId: string; error: Error; attemptsMade: number; delay: number }];
  /** the job's node stopped renewing its lock (it died): the job goes back to the queue */
  stalled: [{ jobId: string }];
  progress: [{ jobId: string; progress: unknown }];
  /** a failure not tied to a job (e.g. Redis unreachable); only emitted when listened to */
  error: [Error];
}

export type Emit = <K extends keyof JobQueueEvents>(event: K, ...args: JobQueueEvents[K]) => void;

export interface Store {
  /** stores the job (validated already) and returns its handle */
  add(name: string, args: unknown[], options: ResolvedAdd): Promise<Job>;
  /** stop taking jobs, let running ones finish within `grace`, hand the rest back */
  close(): Promise<void>;
  /** resolves once the store is set up (Redis: bullmq loaded; not that Redis answers) */
  opened?(): Promise<void>;
  /** someone listens for job events: start reading them (Redis reads none until then) */
  watch?(): unknown;
}
