// JobQueue and add() options: unknown names refused, durations as strings,
// the 2^31−1 ms limit of Node's timers (issue 11, item 11), secrets kept out
// of validation errors (item 2), constructor throws and add() rejects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool } from '../dist/index.js';
import { backoffDelay, resolveBackoff } from '../dist/queue/backoff.js';
import { JobQueue, work } from '../dist/queue/index.js';
import { fixture, rejectsCode, within } from './helpers.js';

const tasks = fixture('queue/tasks.js');
const MAX = 2 ** 31 - 1;

function setup(t, queueOptions = {}) {
  const pool = new Pool({ worker: tasks, maxWorkers: 1 });
  const queue = new JobQueue({ name: 'q', pool, ...queueOptions });
  t.after(async () => {
    await queue.destroy();
    await pool.destroy();
  });
  return { pool, queue };
}

function throwsOption(fn, option) {
  let error;
  assert.throws(fn, (e) => {
    error = e;
    return e.code === 'ERR_INVALID_OPTION' && e.option === option;
  });
  return error;
}

test('unknown option names are refused, naming them: constructor throws, add() and close() reject', async (t) => {
  const pool = new Pool({ worker: tasks, maxWorkers: 1 });
  t.after(() => pool.destroy());
  const e = throwsOption(() => new JobQueue({ name: 'q', pool, gracePeriod: 5 }), 'gracePeriod');
  assert.match(e.message, /Unknown option `gracePeriod` in `options`; known options: name, pool, store/);
  const d = throwsOption(() => new JobQueue({ name: 'q', pool, defaultJobOptions: { delay: 5 } }), 'delay');
  assert.match(d.message, /in `defaultJobOptions`/);
  throwsOption(() => new JobQueue({ name: 'q', store: { redis: 'redis://127.0.0.1:1', tls: true } }), 'tls');
  const { queue } = setup(t);
  const add = await rejectsCode(queue.add('add', [1, 2], { atempts: 3 }), 'ERR_INVALID_OPTION');
  assert.equal(add.option, 'atempts');
  const backoff = await rejectsCode(
    queue.add('add', [1, 2], { backoff: { type: 'fixed', delay: 1, factor: 2 } }),
    'ERR_INVALID_OPTION',
  );
  assert.equal(backoff.option, 'factor');
  assert.match(backoff.message, /in `options.backoff`/);
  assert.equal((await rejectsCode(queue.close({ timeout: 1 }), 'ERR_INVALID_OPTION')).option, 'timeout');
  await rejectsCode(work({ tasks, queue: 'q', redis: 'redis://127.0.0.1:1', worker: 2 }), 'ERR_INVALID_OPTION');
  // add() never throws synchronously, whatever it is given
  let pending;
  assert.doesNotThrow(() => {
    pending = queue.add('add', [1, 2], 'fast');
  });
  await rejectsCode(pending, 'ERR_INVALID_OPTION');
});

test('options whose properties cannot be read are refused with ERR_INVALID_OPTION, not a raw error', async (t) => {
  const hostile = new Proxy(
    {},
    {
      ownKeys() {
        throw new Error('trap');
      },
      get() {
        throw new Error('trap');
      },
    },
  );
  const pool = new Pool({ worker: tasks, maxWorkers: 1 });
  t.after(() => pool.destroy());
  throwsOption(() => new JobQueue(hostile), 'options');
  throwsOption(() => new JobQueue({ name: 'q', pool, defaultJobOptions: hostile }), 'defaultJobOptions');
  throwsOption(() => new JobQueue({ name: 'q', store: hostile }), 'store');
  const { queue } = setup(t);
  await rejectsCode(queue.add('add', [1, 2], hostile), 'ERR_INVALID_OPTION');
  await rejectsCode(queue.add('add', [1, 2], { backoff: hostile }), 'ERR_INVALID_OPTION');
  await rejectsCode(queue.add('echo', [hostile]), 'ERR_QUEUE_JOB_NOT_SERIALIZABLE');
});

test('every duration takes a string with a unit: grace, lockDuration, stalledInterval, addTimeout, delay, backoff', async (t) => {
  const { queue } = setup(t, { grace: '2s', defaultJobOptions: { backoff: '10ms' } });
  const producer = new JobQueue({
    name: 'r',
    store: { redis: 'redis://127.0.0.1:1' },
    lockDuration: '5s',
    stalledInterval: '1.5s',
    addTimeout: '1m',
    grace: '0.5s',
  });
  await producer.destroy();
  const retrying = [];
  queue.on('retrying', (e) => retrying.push(e.delay));
  const job = await queue.add('fail', ['boom'], {
    attempts: 3,
    delay: '20ms',
    backoff: { type: 'exponential', delay: '0.01s' },
  });
  await rejectsCode(within(job.result(), 10_000, 'result'), 'ERR_QUEUE_JOB_FAILED');
  assert.deepEqual(retrying, [10, 20]);
  assert.deepEqual(resolveBackoff('b', { type: 'exponential', delay: '1s', jitter: 0.5 }), {
    type: 'exponential',
    delay: 1000,
    jitter: 0.5,
  });
  assert.deepEqual(resolveBackoff('b', '2m'), { type: 'fixed', delay: 120_000, jitter: 0 });
});

test('durations past 2^31−1 ms are refused naming the option: delay, backoff, grace, lockDuration, addTimeout', async (t) => {
  const { queue, pool } = setup(t);
  for (const [options, option] of [
    [{ delay: '25d' }, 'options.delay'],
    [{ delay: 2 ** 31 }, 'options.delay'],
    [{ backoff: 3e9 }, 'options.backoff'],
    [{ backoff: '600h' }, 'options.backoff'],
    [{ backoff: { type: 'exponential', delay: '30d' } }, 'options.backoff.delay'],
  ]) {
    const err = await rejectsCode(queue.add('add', [1, 2], options), 'ERR_INVALID_OPTION');
    assert.equal(err.option, option);
    assert.match(err.message, /at most 2147483647 ms/);
  }
  for (const [key, value] of [
    ['grace', '25d'],
    ['lockDuration', 2 ** 31],
    ['stalledInterval', '1000h'],
    ['addTimeout', 3e9],
  ]) {
    throwsOption(() => new JobQueue({ name: 'q', pool, [key]: value }), key);
  }
  throwsOption(
    () => new JobQueue({ name: 'q', pool, defaultJobOptions: { backoff: '25d' } }),
    'defaultJobOptions.backoff',
  );
  // Infinity means "never" for grace only
  new JobQueue({ name: 'q', pool, grace: Number.POSITIVE_INFINITY }).destroy();
  throwsOption(() => new JobQueue({ name: 'q', pool, lockDuration: Number.POSITIVE_INFINITY }), 'lockDuration');
});

test('item 11: an exponential backoff stops growing at 2^31−1 ms instead of overflowing Node’s timer', () => {
  const b = resolveBackoff('b', { type: 'exponential', delay: '1d' });
  assert.equal(backoffDelay(b, 5), 16 * 86_400_000);
  for (const n of [6, 20, 100, 2000]) assert.equal(backoffDelay(b, n), MAX, `attempt ${n}`);
  const jittered = resolveBackoff('b', { type: 'exponential', delay: '1d', jitter: 0.5 });
  for (let i = 0; i < 20; i++) {
    const d = backoffDelay(jittered, 40);
    assert.ok(d <= MAX && d >= MAX / 2 - 1, String(d));
  }
});

test('item 2: validation errors never show a Redis password', async () => {
  const secret = 'hunter2-s3cret';
  const urls = [
    `http://:${secret}@127.0.0.1:6379`, // wrong scheme
    `redis://:${secret}@127.0.0.1:6379?x=1`, // a query
    `redis://user:${secret}@127.0.0.1:99999`, // a port the parser refuses
    `redis://:pa/ss${secret}@127.0.0.1:6379`, // '/' in the password: the parser refuses it
    `redis://:${secret}@127.0.0.1:6379/zero`, // a db that is not a number
    `redis://:p@ss${secret}@127.0.0.1:6379/x`,
    `:${secret}@127.0.0.1:6379`, // the scheme forgotten
  ];
  for (const url of urls) {
    for (const make of [
      () => new JobQueue({ name: 'q', store: { redis: url } }),
      () => new JobQueue({ name: 'q', store: url }),
    ]) {
      assert.throws(make, (e) => {
        assert.equal(e.code, 'ERR_INVALID_OPTION');
        assert.ok(!e.message.includes(secret), e.message);
        assert.ok(!JSON.stringify(e).includes(secret));
        assert.ok(!String(e.stack).includes(secret));
        return true;
      });
    }
    const w = await rejectsCode(work({ tasks, queue: 'q', redis: url }), 'ERR_INVALID_OPTION');
    assert.equal(w.option, 'redis');
    assert.ok(!w.message.includes(secret), w.message);
  }
  assert.throws(
    () => new JobQueue({ name: 'q', store: { redis: 12345 } }),
    (e) => e.option === 'store.redis' && /got a value of type number/.test(e.message),
  );
});

test('names and job ids with half a surrogate pair are refused: Redis keys are UTF-8 and the job could not find its own', async (t) => {
  const { queue, pool } = setup(t);
  const err = await rejectsCode(queue.add('add', [1, 2], { jobId: 'a\uD800b' }), 'ERR_INVALID_OPTION');
  assert.equal(err.option, 'options.jobId');
  await rejectsCode(queue.add('a\uDC00', []), 'ERR_INVALID_OPTION');
  throwsOption(() => new JobQueue({ name: 'q\uD800', pool }), 'name');
  await rejectsCode(work({ tasks, queue: 'q\uD800', redis: 'redis://127.0.0.1:1' }), 'ERR_INVALID_OPTION');
  // whole pairs are fine
  const job = await queue.add('add', [1, 2], { jobId: 'emoji-😀' });
  assert.equal(await within(job.result(), 10_000, 'result'), 3);
});
