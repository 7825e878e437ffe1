// The lifecycle of a Redis queue and of the handle work() returns
// (docs/conventions.md rule 4): close({ grace }) → { clean }, destroy()
// hands running jobs back at once, state, await using.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobQueue, work } from '../dist/queue/index.js';
import { startRedis, until } from './helpers/redis.js';
import { fixture, rejectsCode, within } from './helpers.js';

const tasks = fixture('queue/tasks.js');

test('work(): close() is clean when jobs finish within grace; state goes running → closing → closed', {
  timeout: 60_000,
}, async (t) => {
  const redis = await startRedis(t);
  const node = await work({ tasks, queue: 'life', redis: redis.url, workers: 1 });
  redis.cleanup(() => node.destroy());
  const producer = new JobQueue({ name: 'life', store: { redis: redis.url } });
  redis.cleanup(() => producer.close());
  assert.equal(node.state, 'running');
  const starts = [];
  producer.on('progress', (e) => starts.push(e.progress));
  const job = await producer.add('slow', ['a', 300]);
  await until(producer, 'progress', () => starts.length === 1, 20_000, 'the job to start');
  const closing = node.close({ grace: '10s' });
  assert.equal(node.state, 'closing');
  assert.equal(node.close(), closing, 'idempotent');
  assert.deepEqual(await within(closing, 20_000, 'close'), { clean: true });
  assert.equal(node.state, 'closed');
  assert.equal(node.queue.state, 'closed');
  assert.equal((await within(job.result(), 10_000, 'result')).id, 'a');
  await rejectsCode(node.pool.run('add', [1, 2]), 'ERR_POOL_CLOSED');
  await rejectsCode(node.queue.add('add', [1, 2]), 'ERR_QUEUE_CLOSED');
});

test('work(): destroy() hands the running job back at once though grace is long; another node completes it', {
  timeout: 60_000,
}, async (t) => {
  const redis = await startRedis(t);
  // a long lock and a long grace: only a hand-back lets the second node start the job soon
  const opts = { tasks, queue: 'force', redis: redis.url, workers: 1, lockDuration: '1m', grace: '1h' };
  const first = await work(opts);
  redis.cleanup(() => first.destroy());
  const producer = new JobQueue({ name: 'force', store: { redis: redis.url } });
  redis.cleanup(() => producer.close());
  const starts = [];
  producer.on('progress', (e) => starts.push(e.progress.pid));
  const job = await producer.add('slow', ['long', 1500]);
  await until(producer, 'progress', () => starts.length === 1, 20_000, 'the job to start');
  const closing = first.close(); // waits up to an hour …
  await within(first.destroy(), 20_000, 'destroy'); // … unless destroyed
  assert.deepEqual(await closing, { clean: false });
  assert.equal(first.state, 'closed');
  const second = await work(opts);
  redis.cleanup(() => second.close());
  assert.equal((await within(job.result(), 20_000, 'result')).id, 'long');
  assert.equal(starts.length, 2, 'it ran again on the second node');
});

test('a producer’s close(): result() calls still waiting reject with ERR_QUEUE_CLOSED; the job stays in Redis', {
  timeout: 60_000,
}, async (t) => {
  const redis = await startRedis(t);
  const producer = new JobQueue({ name: 'waiting', store: { redis: redis.url } });
  const job = await producer.add('add', [1, 2], { jobId: 'kept' });
  const pending = rejectsCode(job.result(), 'ERR_QUEUE_CLOSED');
  assert.deepEqual(await within(producer.close(), 20_000, 'close'), { clean: true });
  await within(pending, 10_000, 'pending result');
  await rejectsCode(job.result(), 'ERR_QUEUE_CLOSED');
  // another process's queue finds the job and its result once a node ran it
  const node = await work({ tasks, queue: 'waiting', redis: redis.url, workers: 1 });
  redis.cleanup(() => node[Symbol.asyncDispose]());
  const again = new JobQueue({ name: 'waiting', store: { redis: redis.url } });
  redis.cleanup(() => again.close());
  const same = await again.add('add', [9, 9], { jobId: 'kept' });
  assert.deepEqual(same.args, [1, 2]);
  assert.equal(await within(same.result(), 20_000, 'result'), 3);
  assert.equal(node.state, 'running');
});
