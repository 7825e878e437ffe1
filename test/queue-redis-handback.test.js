// A node closed while a job runs past its grace hands the job back at once:
// another node runs it to completion, nothing is lost, no lock expiry waited out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobQueue, work } from '../dist/queue/index.js';
import { startRedis, until } from './helpers/redis.js';
import { fixture, within } from './helpers.js';

const tasks = fixture('queue/tasks.js');

test('close() past grace moves the running job back to the queue; another node completes it once', {
  timeout: 60_000,
}, async (t) => {
  const redis = await startRedis(t);
  // a long lock: if the job were not handed back, it would sit for 60 s
  const opts = { tasks, queue: 'handback', redis: redis.url, workers: 1, lockDuration: 60_000, grace: 50 };
  const first = await work(opts);
  redis.cleanup(() => first.close());
  const queue = new JobQueue({ name: 'handback', store: { redis: redis.url } });
  redis.cleanup(() => queue.close());
  const starts = [];
  let completed = 0;
  queue.on('progress', (e) => starts.push(e.progress.pid));
  queue.on('completed', () => completed++);
  let failed = 0;
  queue.on('failed', () => failed++);
  const job = await queue.add('slow', ['long', 1500]);
  await until(queue, 'progress', () => starts.length === 1, 20_000, 'the job to start');
  await within(first.close(), 20_000, 'close');
  const second = await work({ ...opts });
  redis.cleanup(() => second.close());
  const result = await within(job.result(), 20_000, 'result');
  assert.equal(result.id, 'long');
  assert.equal(starts.length, 2, 'it ran again, from the start, on the second node');
  assert.equal(completed, 1);
  assert.equal(failed, 0);
});
