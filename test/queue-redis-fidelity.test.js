// What a failed job's error keeps over Redis (issue 11, item 15), and many
// result() calls at once (item 16).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool, WorkerCrashedError } from '../dist/index.js';
import { JobQueue, work } from '../dist/queue/index.js';
import { startRedis, until } from './helpers/redis.js';
import { fixture, rejectsCode, within } from './helpers.js';

const tasks = fixture('queue/tasks.js');

/** What a test compares of an error, on either store. */
function shape(e) {
  return {
    name: e.name,
    code: e.code,
    message: e.message,
    amount: e.amount,
    cause: e.cause === undefined ? undefined : { name: e.cause.name, message: e.cause.message },
  };
}

async function failures(queue) {
  const failed = [];
  queue.on('failed', (e) => failed.push(e.error));
  const crashed = await queue.add('crash', [], { attempts: 1 });
  const coded = await queue.add('failCoded', ['declined', 'E_PAY'], { attempts: 2 });
  const missing = await queue.add('nope', [], { attempts: 3 }).catch((e) => e);
  const crash = await rejectsCode(within(crashed.result(), 20_000, 'crash'), 'ERR_QUEUE_JOB_FAILED');
  const pay = await rejectsCode(within(coded.result(), 20_000, 'coded'), 'ERR_QUEUE_JOB_FAILED');
  return { crash, pay, missing, failed };
}

test('item 15: a failed job’s cause keeps its class, name, code, fields and cause over Redis, as in memory', {
  timeout: 90_000,
}, async (t) => {
  // memory store
  const pool = new Pool({ worker: tasks, maxWorkers: 1 });
  const memory = new JobQueue({ name: 'm', pool });
  t.after(async () => {
    await memory.destroy();
    await pool.destroy();
  });
  const m = await failures(memory);
  // Redis: a node runs the jobs, a producer without a pool awaits them
  const redis = await startRedis(t);
  const node = await work({ tasks, queue: 'fidelity', redis: redis.url, workers: 1 });
  redis.cleanup(() => node.close());
  const producer = new JobQueue({ name: 'fidelity', store: { redis: redis.url } });
  redis.cleanup(() => producer.close());
  const r = await failures(producer);

  for (const { crash, pay } of [m, r]) {
    assert.equal(crash.cause.code, 'ERR_WORKER_CRASHED');
    assert.equal(crash.cause.name, 'WorkerCrashedError');
    assert.ok(crash.cause instanceof WorkerCrashedError, 'spindle’s own class is rebuilt as itself');
    assert.equal(crash.cause.exitCode, 3);
    assert.equal(pay.cause.name, 'PaymentError');
    assert.equal(pay.cause.code, 'E_PAY');
    assert.equal(pay.cause.amount, 42);
    assert.equal(pay.cause.cause.name, 'RangeError');
    assert.ok(pay.cause.cause instanceof RangeError);
    assert.match(pay.cause.stack, /failCoded/);
    assert.doesNotMatch(pay.cause.stack, /spindle error/, 'the stack is the task’s, without the record');
    assert.match(pay.message, /after 2 attempts: declined/);
  }
  assert.deepEqual(shape(r.crash.cause), shape(m.crash.cause), 'both stores rebuild the same error');
  assert.deepEqual(shape(r.pay.cause), shape(m.pay.cause));
  for (const code of ['E_PAY', 'ERR_WORKER_CRASHED'])
    assert.ok(
      r.failed.some((e) => e.cause.code === code),
      `the failed event carries the same cause (${code})`,
    );
  // memory: a pool knows its tasks; Redis producer: the node fails the job at once, and says why with a code
  assert.equal(m.missing.code, 'ERR_TASK_NOT_FOUND');
  const unknown = await producer.add('nope', [], { attempts: 3 });
  const err = await rejectsCode(within(unknown.result(), 20_000, 'unknown task'), 'ERR_QUEUE_JOB_FAILED');
  assert.equal(err.attemptsMade, 1, 'not retried');
  assert.equal(err.cause.code, 'ERR_TASK_NOT_FOUND');
});

test('item 16: awaiting many result() calls at once prints no MaxListenersExceededWarning', {
  timeout: 60_000,
}, async (t) => {
  const warnings = [];
  const onWarning = (w) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  const redis = await startRedis(t);
  const node = await work({ tasks, queue: 'many', redis: redis.url, workers: 2 });
  redis.cleanup(() => node.close());
  const producer = new JobQueue({ name: 'many', store: { redis: redis.url } });
  redis.cleanup(() => producer.close());
  const jobs = [];
  for (let i = 0; i < 40; i++) jobs.push(await producer.add('add', [i, 1]));
  // twice each, plus one that fails: every caller gets its own answer
  const failing = await producer.add('fail', ['no']);
  const results = await within(
    Promise.all([
      ...jobs.map((j) => j.result()),
      ...jobs.map((j) => producer.add('add', [0, 0], { jobId: `x${j.id}` }).then((k) => k.result())),
    ]),
    30_000,
    'results',
  );
  assert.deepEqual(
    results.slice(0, 40),
    jobs.map((_, i) => i + 1),
  );
  await rejectsCode(within(failing.result(), 20_000, 'failing'), 'ERR_QUEUE_JOB_FAILED');
  // a job that finished long ago: answered from Redis, not from an event
  assert.equal(await within(jobs[0].result(), 10_000, 'again'), 1);
  const late = new JobQueue({ name: 'many', store: { redis: redis.url } });
  redis.cleanup(() => late.close());
  const again = await late.add('add', [0, 0], { jobId: `x${jobs[0].id}` });
  assert.equal(await within(again.result(), 10_000, 'finished before result()'), 0);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(warnings, []);
});

test('a result that is a string of JSON stays a string in the completed event and in result()', {
  timeout: 60_000,
}, async (t) => {
  const redis = await startRedis(t);
  const node = await work({ tasks, queue: 'strings', redis: redis.url, workers: 1 });
  redis.cleanup(() => node.close());
  const producer = new JobQueue({ name: 'strings', store: { redis: redis.url } });
  redis.cleanup(() => producer.close());
  const completed = [];
  producer.on('completed', (e) => completed.push(e.result));
  const values = ['42', 'true', '{"a":1}', 'null', 7, { b: '2' }];
  const jobs = [];
  for (const v of values) jobs.push(await producer.add('echo', [v]));
  assert.deepEqual(await within(Promise.all(jobs.map((j) => j.result())), 20_000, 'results'), values);
  await until(producer, 'completed', () => completed.length === values.length, 20_000, 'the events');
  assert.deepEqual(
    completed.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    [...values].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  );
});

test('errorClasses: a cause of the user’s own class is rebuilt as that class on both stores', {
  timeout: 60_000,
}, async (t) => {
  const { QuotaError } = await import(tasks);
  const pool = new Pool({ worker: tasks, maxWorkers: 1, errorClasses: [QuotaError] });
  const memory = new JobQueue({ name: 'm', pool }); // the pool's classes by default
  t.after(async () => {
    await memory.destroy();
    await pool.destroy();
  });
  const redis = await startRedis(t);
  const node = await work({ tasks, queue: 'classes', redis: redis.url, workers: 1 });
  redis.cleanup(() => node.close());
  const producer = new JobQueue({ name: 'classes', store: { redis: redis.url }, errorClasses: [QuotaError] });
  redis.cleanup(() => producer.close());
  const plain = new JobQueue({ name: 'classes', store: { redis: redis.url } });
  redis.cleanup(() => plain.close());
  const causes = [];
  for (const queue of [memory, producer]) {
    const job = await queue.add('failQuota', [7]);
    const err = await rejectsCode(within(job.result(), 20_000, 'result'), 'ERR_QUEUE_JOB_FAILED');
    causes.push(err.cause);
  }
  for (const cause of causes) {
    assert.ok(cause instanceof QuotaError, `${cause.name} is rebuilt as QuotaError`);
    assert.deepEqual([cause.code, cause.used, cause.message], ['E_QUOTA', 7, 'over quota']);
  }
  // without the class registered: the name, code and fields, as an Error
  const job = await plain.add('failQuota', [8]);
  const err = await rejectsCode(within(job.result(), 20_000, 'result'), 'ERR_QUEUE_JOB_FAILED');
  assert.ok(!(err.cause instanceof QuotaError));
  assert.deepEqual([err.cause.name, err.cause.code, err.cause.used], ['QuotaError', 'E_QUOTA', 8]);
  assert.throws(() => new JobQueue({ name: 'x', pool, errorClasses: [Date] }), { code: 'ERR_INVALID_OPTION' });
});
