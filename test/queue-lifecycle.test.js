// JobQueue's lifecycle (docs/conventions.md rule 4) with the memory store:
// close({ grace }) resolving { clean }, destroy(), the read-only state,
// Symbol.asyncDispose, idempotence; and what close() refuses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool } from '../dist/index.js';
import { JobQueue } from '../dist/queue/index.js';
import { fixture, rejectsCode, within } from './helpers.js';

const tasks = fixture('queue/tasks.js');

function setup(t, queueOptions = {}) {
  const pool = new Pool({ worker: tasks, maxWorkers: 1 });
  const queue = new JobQueue({ name: 'q', pool, ...queueOptions });
  t.after(async () => {
    await queue.destroy();
    await pool.destroy();
  });
  return { pool, queue };
}

const started = (queue) => within(new Promise((resolve) => queue.once('progress', resolve)), 10_000, 'job start');

test('state goes running → closing → closed, is read-only, and close() is clean when every job finished', async (t) => {
  const { queue } = setup(t);
  assert.equal(queue.state, 'running');
  assert.throws(() => {
    queue.state = 'closed';
  }, TypeError);
  const job = await queue.add('slow', ['a', 100]);
  await started(queue);
  const closing = queue.close({ grace: '10s' });
  assert.equal(queue.state, 'closing');
  assert.equal(queue.close(), closing, 'a second call returns the first call’s promise');
  assert.deepEqual(await within(closing, 10_000, 'close'), { clean: true });
  assert.equal(queue.state, 'closed');
  assert.equal((await job.result()).id, 'a');
  await rejectsCode(queue.add('echo', [1]), 'ERR_QUEUE_CLOSED');
});

test('close({ grace }) overrides the queue’s grace: past it the running job is aborted and close() is not clean', async (t) => {
  const { queue } = setup(t, { grace: '1h' });
  let failed = 0;
  queue.on('failed', () => failed++);
  const job = await queue.add('slow', ['a', 60_000], { attempts: 3 });
  await started(queue);
  assert.deepEqual(await within(queue.close({ grace: '50ms' }), 10_000, 'close'), { clean: false });
  await rejectsCode(job.result(), 'ERR_QUEUE_CLOSED');
  assert.equal(failed, 0);
});

test('jobs dropped unstarted make close() unclean and reject with ERR_QUEUE_CLOSED', async (t) => {
  const { queue } = setup(t);
  const later = await queue.add('echo', ['x'], { delay: '1h' });
  assert.deepEqual(await within(queue.close(), 10_000, 'close'), { clean: false });
  await rejectsCode(later.result(), 'ERR_QUEUE_CLOSED');
});

test('destroy() aborts the running job now, also while close() waits out a long grace', async (t) => {
  const { queue } = setup(t);
  const job = await queue.add('slow', ['a', 60_000]);
  const waiting = await queue.add('echo', ['b']);
  await started(queue);
  const closing = queue.close({ grace: Number.POSITIVE_INFINITY });
  const destroying = queue.destroy();
  assert.equal(queue.destroy(), destroying, 'idempotent');
  assert.equal(await within(destroying, 10_000, 'destroy'), undefined);
  assert.deepEqual(await closing, { clean: false });
  assert.equal(queue.state, 'closed');
  await rejectsCode(job.result(), 'ERR_QUEUE_CLOSED');
  await rejectsCode(waiting.result(), 'ERR_QUEUE_CLOSED');
});

test('destroy() first: close() afterwards returns the same ending', async (t) => {
  const { queue } = setup(t);
  const job = await queue.add('slow', ['a', 60_000]);
  await started(queue);
  await within(queue.destroy(), 10_000, 'destroy');
  assert.deepEqual(await queue.close({ grace: '1h' }), { clean: false });
  await rejectsCode(job.result(), 'ERR_QUEUE_CLOSED');
});

test('close() refuses bad options by rejecting (never throwing), and the queue keeps running', async (t) => {
  const { queue } = setup(t);
  for (const bad of [{ grace: -1 }, { grace: '25d' }, { grace: 2 ** 31 }, { timeout: 5 }, 'now', null]) {
    let p;
    assert.doesNotThrow(() => {
      p = queue.close(bad);
    });
    const err = await rejectsCode(p, 'ERR_INVALID_OPTION');
    assert.match(err.option, /^(options|timeout)/);
    assert.equal(queue.state, 'running');
  }
  const job = await queue.add('add', [1, 2]);
  assert.equal(await within(job.result(), 10_000, 'result'), 3);
});

test('await using: Symbol.asyncDispose is close()', async (t) => {
  const pool = new Pool({ worker: tasks, maxWorkers: 1 });
  t.after(() => pool.destroy());
  const queue = new JobQueue({ name: 'q', pool });
  assert.equal(await (await queue.add('add', [1, 2])).result(), 3);
  await queue[Symbol.asyncDispose]();
  assert.equal(queue.state, 'closed');
  await rejectsCode(queue.add('add', [1, 2]), 'ERR_QUEUE_CLOSED');
});
