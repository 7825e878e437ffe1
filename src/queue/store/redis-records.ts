// A BullMQ job (or a group job spindle still holds) as spindle's JobRecord:
// state names, timestamps, and a failed job's error rebuilt from Redis.

import type * as BullMQ from 'bullmq';
import { QueueJobFailedError } from '../../errors/index.js';
import type { ErrorClasses } from '../../errors/remote.js';
import type { TaskMeta } from '../../observe/context.js';
import type { ResolvedBackoff } from '../backoff.js';
import type { JobRecord, JobState } from '../job.js';
import { decodeFailure } from './failure.js';
import type { HeldJob } from './redis-book.js';

/** What a job carries in Redis (JSON). */
export interface JobData {
  args: unknown[];
  backoff: ResolvedBackoff;
  /** the job's group, when it has one */
  group?: string;
  /** a schedule's template: what makes two schedule() calls the same */
  print?: string;
  /** the context of the add() call (observe/context.ts TaskMeta), restored on the node that runs it */
  meta?: TaskMeta;
}

/** BullMQ's state names as spindle's; null for a job BullMQ does not have. */
export function stateOf(bull: string, paused: boolean): JobState | null {
  switch (bull) {
    case 'waiting':
    case 'prioritized':
    case 'waiting-children':
      return paused ? 'paused' : 'waiting';
    case 'paused':
      return 'paused';
    case 'delayed':
    case 'active':
    case 'completed':
    case 'failed':
      return bull;
    default:
      return null;
  }
}

/**
 * ERR_QUEUE_JOB_FAILED for a failed job: the cause is the last attempt's
 * error, rebuilt as the memory store does (class, name, code, fields).
 */
export function failedError(
  id: string,
  bj: BullMQ.Job<JobData> | undefined,
  reason: string,
  classes: ErrorClasses | undefined,
): QueueJobFailedError {
  const cause = decodeFailure(bj?.stacktrace?.at(-1), reason, classes);
  return new QueueJobFailedError(id, bj?.name ?? '(unknown)', bj?.attemptsMade ?? 0, reason, { cause });
}

/** The record of a job BullMQ holds, in `state`. */
export function bullRecord(bj: BullMQ.Job<JobData>, state: JobState, classes: ErrorClasses | undefined): JobRecord {
  const id = bj.id!;
  return {
    id,
    name: bj.name,
    args: Array.isArray(bj.data?.args) ? bj.data.args : [],
    attempts: bj.opts.attempts ?? 1,
    group: typeof bj.data?.group === 'string' ? bj.data.group : null,
    state,
    attemptsMade: state === 'active' ? Math.max(bj.attemptsStarted ?? 0, bj.attemptsMade) : bj.attemptsMade,
    progress: bj.progress ?? 0,
    returnValue: state === 'completed' ? bj.returnvalue : null,
    error: state === 'failed' ? failedError(id, bj, bj.failedReason ?? '', classes) : null,
    addedAt: bj.timestamp,
    startedAt: bj.processedOn ?? null,
    finishedAt: state === 'completed' || state === 'failed' ? (bj.finishedOn ?? null) : null,
  };
}

/** The record of a group job spindle still holds (waiting for its group's turn, or delayed). */
export function heldRecord(id: string, held: HeldJob, state: JobState): JobRecord {
  const data = held.data as unknown as JobData;
  return {
    id,
    name: held.name,
    args: data.args,
    attempts: Number(held.opts.attempts ?? 1),
    group: data.group ?? null,
    state,
    attemptsMade: 0,
    progress: 0,
    returnValue: null,
    error: null,
    addedAt: Number(held.opts.timestamp ?? 0),
    startedAt: null,
    finishedAt: null,
  };
}
