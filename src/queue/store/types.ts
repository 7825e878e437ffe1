// What a JobQueue needs from a place that keeps jobs (memory, Redis).
import type { Job } from '../job.js';
import type { CloseResult, ResolvedAdd } from '../options.js';

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
  /** a failure not tied to a job (e.g. Redis unreachable); a process warning when nobody listens */
  error: [Error];
}

export type Emit = <K extends keyof JobQueueEvents>(event: K, ...args: JobQueueEvents[K]) => void;

export interface Store {
  /** stores the job (validated already) and returns its handle */
  add(name: string, args: unknown[], options: ResolvedAdd): Promise<Job>;
  /** stop taking jobs, let running ones finish within `grace` ms, hand the rest back; called once */
  close(grace: number): Promise<CloseResult>;
  /** cut close()'s grace short: running jobs are aborted and handed back now (before or during close()) */
  force(): void;
  /** resolves once the store is set up (Redis: bullmq loaded; not that Redis answers) */
  opened?(): Promise<void>;
  /** someone listens for job events: start reading them (Redis reads none until then) */
  watch?(): unknown;
  /** the queue's concurrency changed (its pool was scaled); the store reads `concurrency` from the options otherwise */
  setConcurrency?(n: number): void;
}
