// Type tests for spindle/queue: add() is typed from the task module like Pool.run().
import { expectTypeOf } from 'expect-type';
import { Pool } from 'spindle';
import { type Job, JobQueue, type WorkHandle, work } from 'spindle/queue';
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
}
void types;
