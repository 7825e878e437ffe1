// spindle/queue with the memory store: results, retries, backoff, crashes,
// priority, delay, jobId, bad input, progress, close.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Pool } from '../dist/index.js';
import { JobQueue } from '../dist/queue/index.js';
import { fixture, rejectsCode, within } from './helpers.js';

const tasks = fixture('queue/tasks.js');

function setup(t, poolOptions = {}, queueOptions = {}) {
  const pool = new Pool({ worker: tasks, maxWorkers: 1, ...poolOptions });
  const queue = new JobQueue({ name: 'q', pool, ...queueOptions });
  t.after(async () => {
    await queue.close();
    await pool.destroy();
  });
  return { pool, queue };
}

const countFile = () => join(mkdtempSync(join(tmpdir(), 'spindle-q-')), 'count');

test('a job runs as a pool task; result() and completed carry its value', async (t) => {
  const { queue } = setup(t);
  const completed = [];
  queue.on('completed', (e) => completed.push(e));
  const job = await queue.add('add', [2, 3]);
  assert.equal(typeof job.id, 'string');
  assert.equal(job.name, 'add');
  assert.deepEqual(job.args, [2, 3]);
  assert.equal(job.attempts, 1);
  assert.equal(await within(job.result(), 10_000, 'result'), 5);
  assert.deepEqual(completed, [{ jobId: job.id, result: 5 }]);
});

test('a throwing task is retried up to attempts, then fails with ERR_QUEUE_JOB_FAILED whose cause is the last error', async (t) => {
  const { queue } = setup(t);
  const retrying = [];
  const failed = [];
  queue.on('retrying', (e) => retrying.push(e));
  queue.on('failed', (e) => failed.push(e));
  const job = await queue.add('fail', ['boom'], { attempts: 3, backoff: { type: 'exponential', delay: 10 } });
  const err = await rejectsCode(within(job.result(), 10_000, 'result'), 'ERR_QUEUE_JOB_FAILED');
  assert.equal(err.attemptsMade, 3);
  assert.equal(err.cause.message, 'boom');
  assert.match(err.message, /3 attempts: boom/);
  assert.deepEqual(
    retrying.map((r) => [r.attemptsMade, r.delay]),
    [
      [1, 10],
      [2, 20],
    ],
  );
  assert.equal(failed.length, 1);
  assert.equal(failed[0].error, err);
});

test('a job that fails at first succeeds on a later attempt', async (t) => {
  const { queue } = setup(t);
  const job = await queue.add('flaky', [countFile(), 3], { attempts: 5, backoff: 1 });
  assert.equal(await within(job.result(), 10_000, 'result'), 3);
});

test('backoff: fixed, exponential and jitter bounds', async () => {
  const { backoffDelay, resolveBackoff } = await import('../dist/queue/backoff.js');
  assert.equal(backoffDelay(resolveBackoff('b', 50), 3), 50);
  const exp = resolveBackoff('b', { type: 'exponential', delay: 100 });
  assert.deepEqual(
    [1, 2, 3].map((n) => backoffDelay(exp, n)),
    [100, 200, 400],
  );
  const jit = resolveBackoff('b', { type: 'exponential', delay: 100, jitter: 0.5 });
  for (let i = 0; i < 50; i++) {
    const d = backoffDelay(jit, 2);
    assert.ok(d >= 100 && d <= 200, `${d}`);
  }
  assert.throws(() => resolveBackoff('backoff', { type: 'linear', delay: 1 }), { code: 'ERR_INVALID_OPTION' });
});

test('a worker that crashes mid-job: the job is retried, and fails with a coded error once attempts are spent', async (t) => {
  const { queue } = setup(t);
  const ok = await queue.add('crashUntil', [countFile(), 1], { attempts: 2 });
  assert.equal(await within(ok.result(), 15_000, 'result'), 'survived');
  const doomed = await queue.add('crash', [], { attempts: 2 });
  const err = await rejectsCode(within(doomed.result(), 15_000, 'result'), 'ERR_QUEUE_JOB_FAILED');
  assert.equal(err.cause.code, 'ERR_WORKER_CRASHED');
  assert.match(err.message, /2 attempts/);
});

test('priority: higher runs first, as in Pool.run; equal priorities in order of arrival', async (t) => {
  const { queue } = setup(t);
  const order = [];
  queue.on('completed', (e) => order.push(e.result));
  const blocker = await queue.add('slow', ['block', 200]); // holds the single slot
  const jobs = [];
  jobs.push(await queue.add('echo', ['p5'], { priority: 5 }));
  jobs.push(await queue.add('echo', ['p1-a'], { priority: 1 }));
  jobs.push(await queue.add('echo', ['p1-b'], { priority: 1 }));
  jobs.push(await queue.add('echo', ['p0']));
  jobs.push(await queue.add('echo', ['n3'], { priority: -3 }));
  await within(Promise.all([blocker.result(), ...jobs.map((j) => j.result())]), 10_000, 'jobs');
  assert.deepEqual(order.slice(1), ['p5', 'p1-a', 'p1-b', 'p0', 'n3']);
});

test('delay: a delayed job starts after one added later without delay', async (t) => {
  const { queue } = setup(t);
  const order = [];
  queue.on('completed', (e) => order.push(e.result));
  const late = await queue.add('echo', ['late'], { delay: 300 });
  const now = await queue.add('echo', ['now']);
  await within(Promise.all([late.result(), now.result()]), 10_000, 'jobs');
  assert.deepEqual(order, ['now', 'late']);
});

test('jobId de-duplicates: adding an existing id returns that job and runs it once', async (t) => {
  const { queue } = setup(t);
  let runs = 0;
  queue.on('completed', () => runs++);
  const a = await queue.add('add', [1, 1], { jobId: 'once' });
  const b = await queue.add('add', [5, 5], { jobId: 'once' });
  // a snapshot of the stored job: its id and its original arguments
  assert.equal(b.id, a.id);
  assert.deepEqual(b.args, [1, 1]);
  assert.equal(await within(a.result(), 10_000, 'result'), 2);
  const c = await queue.add('add', [5, 5], { jobId: 'once' });
  assert.deepEqual([c.id, c.args, c.state], ['once', [1, 1], 'completed']);
  assert.equal(await c.result(), 2);
  assert.equal(runs, 1);
});

test('arguments that would not survive JSON are rejected at add() naming their path', async (t) => {
  const { queue } = setup(t);
  const cyclic = {};
  cyclic.self = cyclic;
  const sparse = [1];
  sparse[2] = 3;
  class Point {
    x = 1;
  }
  const cases = [
    [[undefined], 'args[0]'],
    [[() => {}], 'args[0]'],
    [[1n], 'args[0]'],
    [[{ when: new Date() }], 'args[0].when'],
    [[{ m: new Map() }], 'args[0].m'],
    [[new Set([1])], 'args[0]'],
    [[Number.NaN], 'args[0]'],
    [[{ a: [1, Number.POSITIVE_INFINITY] }], 'args[0].a[1]'],
    [[cyclic], 'args[0].self'],
    [[new Point()], 'args[0]'],
    [[sparse], 'args[0][1]'],
    [[{ 'odd key': undefined }], 'args[0]["odd key"]'],
  ];
  for (const [args, path] of cases) {
    const err = await rejectsCode(queue.add('echo', args), 'ERR_QUEUE_JOB_NOT_SERIALIZABLE');
    assert.equal(err.path, path);
  }
  assert.equal(
    await (await queue.add('echo', [{ a: [1, 'x', null, true, { b: -1.5 }] }])).result().then((v) => v.a.length),
    5,
  );
});

test('bad input: an unknown task is rejected at add() with ERR_TASK_NOT_FOUND; options are validated', async (t) => {
  const { queue } = setup(t);
  const err = await rejectsCode(queue.add('nope', []), 'ERR_TASK_NOT_FOUND');
  assert.match(err.message, /'add'/);
  await rejectsCode(queue.add('add', [1, 2], { attempts: 0 }), 'ERR_INVALID_OPTION');
  await rejectsCode(queue.add('add', [1, 2], { delay: -1 }), 'ERR_INVALID_OPTION');
  await rejectsCode(queue.add('add', [1, 2], { priority: 1.5 }), 'ERR_INVALID_OPTION');
  await rejectsCode(queue.add('add', [1, 2], { priority: 2_000_000 }), 'ERR_INVALID_OPTION');
  await rejectsCode(queue.add('add', [1, 2], { jobId: '42' }), 'ERR_INVALID_OPTION');
  await rejectsCode(queue.add('add', 'x'), 'ERR_INVALID_OPTION');
  assert.throws(() => new JobQueue({ name: 'q' }), { code: 'ERR_INVALID_OPTION' });
  assert.throws(() => new JobQueue({ name: 'q', pool: {}, store: 'memory' }), { code: 'ERR_INVALID_OPTION' });
  assert.throws(() => new JobQueue({ name: 'q', store: { redis: 'http://x' } }), { code: 'ERR_INVALID_OPTION' });
});

test('progress from a task reaches the progress event (thread and process runtimes)', async (t) => {
  for (const runtime of ['thread', 'process']) {
    const { queue } = setup(t, { runtime });
    const seen = [];
    queue.on('progress', (e) => seen.push(e.progress));
    const job = await queue.add('reportProgress', [3]);
    assert.equal(await within(job.result(), 15_000, 'result'), 'done');
    assert.deepEqual(seen, [1, 2, 3], runtime);
  }
});

test('close() mid-job lets the running job finish within grace, then rejects what had not run', async (t) => {
  const { queue } = setup(t);
  const running = await queue.add('slow', ['a', 200]);
  const waiting = await queue.add('echo', ['b']);
  await new Promise((resolve) => queue.once('progress', resolve)); // 'slow' has started
  await within(queue.close(), 10_000, 'close');
  assert.deepEqual(await running.result(), { id: 'a', pid: process.pid });
  await rejectsCode(waiting.result(), 'ERR_QUEUE_CLOSED');
  await rejectsCode(queue.add('echo', [1]), 'ERR_QUEUE_CLOSED');
  await queue.close(); // idempotent
});

test('close() past grace aborts the running job: it rejects with ERR_QUEUE_CLOSED, never as failed', async (t) => {
  const { queue } = setup(t, {}, { grace: 50 });
  let failed = 0;
  queue.on('failed', () => failed++);
  const job = await queue.add('slow', ['a', 60_000], { attempts: 3 });
  await new Promise((resolve) => queue.once('progress', resolve));
  await within(queue.close(), 10_000, 'close');
  await rejectsCode(job.result(), 'ERR_QUEUE_CLOSED');
  assert.equal(failed, 0);
});

test('Symbol.asyncDispose closes the queue', async (t) => {
  const pool = new Pool({ worker: tasks, maxWorkers: 1 });
  t.after(() => pool.destroy());
  const queue = new JobQueue({ name: 'q', pool });
  const job = await queue.add('add', [1, 2]);
  assert.equal(await job.result(), 3);
  await queue[Symbol.asyncDispose]();
  await rejectsCode(queue.add('add', [1, 2]), 'ERR_QUEUE_CLOSED');
});
