// Bad input and an unreachable Redis: coded errors, bounded waits, no crash.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobQueue, work } from '../dist/queue/index.js';
import { bin } from './helpers/cli.js';
import { freePort } from './helpers/load.js';
import { startRedis } from './helpers/redis.js';
import { fixture, rejectsCode, runNode, within } from './helpers.js';

const tasks = fixture('queue/tasks.js');

test('bad input on the Redis store: unknown task, non-JSON arguments, an unknown task reaching a node', {
  timeout: 60_000,
}, async (t) => {
  const redis = await startRedis(t);
  const node = await work({ tasks, queue: 'bad', redis: redis.url, workers: 1 });
  redis.cleanup(() => node.close());
  // a queue with a pool knows the task names
  const err = await rejectsCode(node.queue.add('nope', []), 'ERR_TASK_NOT_FOUND');
  assert.match(err.message, /'slow'/);
  const bad = await rejectsCode(node.queue.add('echo', [{ when: new Date() }]), 'ERR_QUEUE_JOB_NOT_SERIALIZABLE');
  assert.equal(bad.path, 'args[0].when');
  // a producer without a pool cannot know them: the node fails the job at once, without retries
  const producer = new JobQueue({ name: 'bad', store: { redis: redis.url } });
  redis.cleanup(() => producer.close());
  await rejectsCode(producer.add('echo', [1n]), 'ERR_QUEUE_JOB_NOT_SERIALIZABLE');
  const job = await producer.add('nope', [], { attempts: 3 });
  const failed = await rejectsCode(within(job.result(), 20_000, 'result'), 'ERR_QUEUE_JOB_FAILED');
  assert.equal(failed.attemptsMade, 1);
  assert.match(failed.message, /exports no function 'nope'/);
  // a task that throws is retried like BullMQ does, then fails with the reason
  const retrying = [];
  producer.on('retrying', (e) => retrying.push(e));
  node.queue.on('retrying', (e) => retrying.push(e));
  const boom = await producer.add('fail', ['boom'], { attempts: 2, backoff: 10 });
  const e2 = await rejectsCode(within(boom.result(), 20_000, 'result'), 'ERR_QUEUE_JOB_FAILED');
  assert.equal(e2.attemptsMade, 2);
  assert.equal(e2.cause.message, 'boom');
  assert.equal(retrying.length, 1, 'the node that ran the attempt reports the retry');
});

test('unreachable Redis: add() rejects with ERR_QUEUE_UNREACHABLE after addTimeout, errors are reported, close() returns', {
  timeout: 60_000,
}, async () => {
  const url = `redis://127.0.0.1:${await freePort()}`;
  const queue = new JobQueue({ name: 'away', store: { redis: url }, addTimeout: 500 });
  const errors = [];
  queue.on('error', (e) => errors.push(e));
  const err = await rejectsCode(within(queue.add('echo', [1]), 10_000, 'add'), 'ERR_QUEUE_UNREACHABLE');
  assert.match(err.message, /127\.0\.0\.1/);
  assert.ok(
    errors.length >= 1 && errors.every((e) => e.code === 'ERR_QUEUE_UNREACHABLE'),
    errors.map((e) => e.message).join('\n'),
  );
  await within(queue.close(), 20_000, 'close');
  // a node against it starts (its module loads), keeps retrying, and stops on request
  const node = await within(work({ tasks, queue: 'away', redis: url, workers: 1 }), 20_000, 'work');
  node.queue.on('error', () => {});
  await within(node.close(), 20_000, 'node close');
});

test('without bullmq installed: ERR_QUEUE_BULLMQ_MISSING from the API and a clear CLI error', async () => {
  const hooks = fixture('queue/no-bullmq.mjs').pathname;
  const script = `
    import { JobQueue, work } from 'spindle/queue';
    const q = new JobQueue({ name: 'x', store: { redis: 'redis://127.0.0.1:1' } });
    const codes = [];
    await q.add('echo', [1]).catch((e) => codes.push(e.code));
    await q.ready().catch((e) => codes.push(e.code));
    await work({ tasks: ${JSON.stringify(tasks.pathname)}, queue: 'x', redis: 'redis://127.0.0.1:1', workers: 1 }).catch((e) => codes.push(e.code));
    await q.close();
    console.log(codes.join(','));
  `;
  const api = await runNode(['--import', hooks, '--input-type=module', '-e', script], { ms: 30_000 });
  assert.equal(
    api.stdout.trim(),
    'ERR_QUEUE_BULLMQ_MISSING,ERR_QUEUE_BULLMQ_MISSING,ERR_QUEUE_BULLMQ_MISSING',
    api.stderr,
  );
  const cli = await runNode(['--import', hooks, bin, 'work', tasks.pathname, '-q', 'x', '-r', 'redis://127.0.0.1:1'], {
    ms: 30_000,
  });
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /npm install bullmq/);
});
