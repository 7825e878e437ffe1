// What a JobQueue needs from a place that keeps jobs (memory, Redis).
import type { TaskMeta } from '../../observe/context.js';
import type { Job, JobCounts, ListedJobState } from '../job.js';
import type { CloseResult, ResolvedAdd } from '../options.js';
import type { ResolvedSpec, ScheduleInfo } from '../schedule.js';

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

/** The states clean() removes from. */
export type CleanState = 'completed' | 'failed' | 'waiting' | 'delayed';

export interface Store {
  /** stores the job (validated already) and returns its handle */
  add(name: string, args: unknown[], options: ResolvedAdd, meta?: TaskMeta): Promise<Job>;
  /** the job as it is now, or null when it is not kept (or never was) */
  getJob(id: string): Promise<Job | null>;
  counts(): Promise<JobCounts>;
  /** jobs in `state`: waiting in the order they run, delayed soonest first, finished newest first */
  jobs(state: ListedJobState, offset: number, limit: number): Promise<Job[]>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  isPaused(): Promise<boolean>;
  /** removes every waiting (and paused) job, and the delayed ones too when `delayed` */
  removeWaiting(delayed: boolean): Promise<void>;
  /** removes up to `limit` jobs in `state` older than `olderThan` ms; resolves how many */
  clean(state: CleanState, olderThan: number, limit: number): Promise<number>;
  /** adds or updates schedule `key`; an identical one is left as it is */
  schedule(key: string, name: string, args: unknown[], spec: ResolvedSpec, options: ResolvedAdd): Promise<ScheduleInfo>;
  unschedule(key: string): Promise<boolean>;
  schedules(): Promise<ScheduleInfo[]>;
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
