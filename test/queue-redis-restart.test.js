// Redis restarted mid-run with persistence on: queued jobs survive and the
// node carries on once Redis is back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobQueue, work } from '../dist/queue/index.js';
import { startRedis, until } from './helpers/redis.js';
import { fixture } from './helpers.js';

const tasks = fixture('queue/tasks.js');

test('Redis restarted mid-run (append-only file on): every queued job survives and completes', {
  timeout: 90_000,
}, async (t) => {
  const redis = await startRedis(t, { persist: true });
  const queue = new JobQueue({ name: 'restart', store: { redis: redis.url } });
  redis.cleanup(() => queue.close());
  const errors = [];
  queue.on('error', (e) => errors.push(e));
  const jobs = [];
  for (let i = 0; i < 20; i++) jobs.push(await queue.add('slow', [i, 50], { jobId: `job-${i}` }));
  const node = await work({
    tasks,
    queue: 'restart',
    redis: redis.url,
    workers: 1,
    lockDuration: 2000,
    stalledInterval: 1000,
  });
  redis.cleanup(() => node.close());
  node.queue.on('error', () => {}); // reported while Redis is away
  let done = 0;
  node.queue.on('completed', () => done++);
  await until(node.queue, 'completed', () => done >= 3, 20_000, 'three completed jobs');
  await redis.stop();
  await redis.start();
  const results = await Promise.all(jobs.map((j) => j.result()));
  assert.deepEqual(
    results.map((r) => r.id),
    jobs.map((_, i) => i),
  );
  const again = await queue.add('slow', [99, 1], { jobId: 'job-0' });
  assert.deepEqual(again.args, [0, 50], 'job-0 is still in Redis after the restart');
});
