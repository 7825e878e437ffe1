// Priority on the Redis store means what it means on the memory store and in
// Pool.run: higher first, equal priorities in order of arrival.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobQueue, work } from '../dist/queue/index.js';
import { startRedis } from './helpers/redis.js';
import { fixture, within } from './helpers.js';

const tasks = fixture('queue/tasks.js');

test('Redis store: higher priority runs first, equal ones in order of arrival', { timeout: 60_000 }, async (t) => {
  const redis = await startRedis(t);
  const queue = new JobQueue({ name: 'prio', store: { redis: redis.url } });
  redis.cleanup(() => queue.close());
  const order = [];
  queue.on('completed', (e) => order.push(e.result)); // read from Redis's event stream, in completion order
  // all queued before any node runs, so the order is the store's alone
  const jobs = [];
  for (const [id, priority] of [
    ['p0', undefined],
    ['n3', -3],
    ['p5', 5],
    ['p1-a', 1],
    ['p1-b', 1],
  ]) {
    jobs.push(await queue.add('echo', [id], priority === undefined ? {} : { priority }));
  }
  const node = await work({ tasks, queue: 'prio', redis: redis.url, workers: 1 });
  redis.cleanup(() => node.close());
  await within(Promise.all(jobs.map((j) => j.result())), 20_000, 'jobs');
  await within(node.close(), 20_000, 'node close');
  assert.deepEqual(order, ['p5', 'p1-a', 'p1-b', 'p0', 'n3']);
});
