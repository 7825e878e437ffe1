// Type tests for spindle/queue: add() is typed from the task module like Pool.run().
import { expectTypeOf } from 'expect-type';
import { Pool } from 'spindle';
import {
  type CloseResult,
  isSpindleError,
  type Job,
  type JobCounts,
  JobQueue,
  type JobQueueState,
  type JobState,
  type QueueAuthFailedError,
  type QueueErrorCode,
  type QueueJobRemovedError,
  type QueueJobStateError,
  type ScheduleInfo,
  type WorkHandle,
  work,
} from 'spindle/queue';
import { progress } from 'spindle/worker';
import type * as Tasks from './tasks.js';

async function types() {
  const pool = new Pool<typeof Tasks>({ worker: './tasks.js' });
  const queue = new JobQueue<typeof Tasks>({ name: 'q', pool, store: { redis: 'redis://127.0.0.1:6379' } });
  const job = await queue.add('add', [1, 2], {
    attempts: 3,
    backoff: { type: 'exponential', delay: 100, jitter: 0.5 },
    jobId: 'a',
  });
  expectTypeOf(job).toEqualTypeOf<Job<number>>();
  expectTypeOf(await job.result()).toEqualTypeOf<number>();
  // @ts-expect-error unknown task
  await queue.add('nope', []);
  // @ts-expect-error wrong argument type
  await queue.add('add', ['1', 2]);
  queue.on('completed', ({ jobId, result }) => {
    expectTypeOf(jobId).toEqualTypeOf<string>();
    expectTypeOf(result).toEqualTypeOf<unknown>();
  });
  queue.on('retrying', ({ delay, attemptsMade }) => expectTypeOf(delay + attemptsMade).toEqualTypeOf<number>());
  const node = await work({ tasks: './tasks.js', queue: 'q', redis: 'redis://127.0.0.1:6379', workers: 2 });
  expectTypeOf(node).toEqualTypeOf<WorkHandle>();
  await node.close();
  expectTypeOf(await pool.taskNames()).toEqualTypeOf<string[]>();
  await pool.run('add', [1, 2], { onProgress: (v) => expectTypeOf(v).toEqualTypeOf<unknown>() });
  progress({ done: 1 });

  // lifecycle: close({ grace }) → { clean }, destroy(), a read-only state, on the queue and on work()'s handle
  expectTypeOf(await queue.close({ grace: '10s' })).toEqualTypeOf<CloseResult>();
  expectTypeOf((await queue.close()).clean).toEqualTypeOf<boolean>();
  expectTypeOf(queue.destroy()).toEqualTypeOf<Promise<void>>();
  expectTypeOf(queue.state).toEqualTypeOf<JobQueueState>();
  expectTypeOf<JobQueueState>().toEqualTypeOf<'running' | 'closing' | 'closed'>();
  // @ts-expect-error state is read-only
  queue.state = 'closed';
  // @ts-expect-error close() takes `grace`, not `timeout`
  await queue.close({ timeout: 5 });
  expectTypeOf(await node.close({ grace: 500 })).toEqualTypeOf<CloseResult>();
  expectTypeOf(node.destroy()).toEqualTypeOf<Promise<void>>();
  expectTypeOf(node.state).toEqualTypeOf<JobQueueState>();
  // durations as strings everywhere
  new JobQueue({ name: 'q', pool, grace: '10s', lockDuration: '5s', stalledInterval: 2500, addTimeout: '1m' });
  await queue.add('add', [1, 2], { delay: '30s', backoff: { type: 'exponential', delay: '1s' } });
  class MyError extends Error {}
  new JobQueue({ name: 'q', store: { redis: 'redis://127.0.0.1:6379' }, errorClasses: [MyError] });
  // the new code narrows
  const err: unknown = undefined;
  if (isSpindleError(err, 'ERR_QUEUE_AUTH_FAILED')) expectTypeOf(err).toEqualTypeOf<QueueAuthFailedError>();
  expectTypeOf<'ERR_QUEUE_AUTH_FAILED'>().toMatchTypeOf<QueueErrorCode>();

  // management (issue 15)
  const found = await queue.getJob('a');
  expectTypeOf(found).toEqualTypeOf<Job | null>();
  if (found) {
    expectTypeOf(found.state).toEqualTypeOf<JobState>();
    expectTypeOf(found.startedAt).toEqualTypeOf<number | null>();
    expectTypeOf(found.retry()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(found.remove()).toEqualTypeOf<Promise<void>>();
  }
  expectTypeOf(job.returnValue).toEqualTypeOf<number | null>();
  expectTypeOf(await queue.counts()).toEqualTypeOf<JobCounts>();
  expectTypeOf((await queue.counts()).paused).toEqualTypeOf<number>();
  expectTypeOf(await queue.jobs({ state: 'failed', limit: 10 })).toEqualTypeOf<Job[]>();
  // @ts-expect-error 'removed' is not a state jobs() lists
  await queue.jobs({ state: 'removed' });
  await queue.pause();
  await queue.resume();
  expectTypeOf(await queue.isPaused()).toEqualTypeOf<boolean>();
  await queue.removeWaiting({ delayed: true });
  expectTypeOf(await queue.clean({ state: 'completed', olderThan: '1h', limit: 100 })).toEqualTypeOf<number>();
  // retention, groups, limits
  new JobQueue({
    name: 'q',
    pool,
    keep: { completed: { count: 1000, age: '1d' }, failed: { age: '7d' }, jobIds: '1d' },
    limiter: { max: 10, duration: '1s' },
    groupConcurrency: 1,
    groupLimiter: { max: 5, duration: 1000 },
  });
  await queue.add('add', [1, 2], { group: 'tenant-42', keep: { completed: { count: 0 } } });
  // schedules, typed like add()
  const s = await queue.schedule('nightly', 'add', [1, 2], { cron: '0 3 * * *', tz: 'Europe/Berlin', attempts: 2 });
  expectTypeOf(s).toEqualTypeOf<ScheduleInfo>();
  await queue.schedule('often', 'add', [1, 2], { every: '5m' });
  // @ts-expect-error wrong argument type
  await queue.schedule('often', 'add', ['1', 2], { every: '5m' });
  expectTypeOf(await queue.unschedule('often')).toEqualTypeOf<boolean>();
  expectTypeOf(await queue.schedules()).toEqualTypeOf<ScheduleInfo[]>();
  if (isSpindleError(err, 'ERR_QUEUE_JOB_REMOVED')) expectTypeOf(err).toEqualTypeOf<QueueJobRemovedError>();
  if (isSpindleError(err, 'ERR_QUEUE_JOB_STATE')) expectTypeOf(err.state).toEqualTypeOf<string>();
  expectTypeOf<QueueJobStateError['operation']>().toEqualTypeOf<'retry' | 'remove'>();
}
void types;
