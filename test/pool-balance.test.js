import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { Pool } from 'spindle';
import { fixture, shared, track, waitAtLeast, within } from './helpers.js';

const T = { timeout: 30_000 };
const tasks = fixture('pool/tasks.js');

test('short tasks never wait behind a long one while another worker is free', T, async (t) => {
  const pool = track(t, new Pool({ worker: tasks, maxWorkers: 2, minWorkers: 2 }));
  await pool.ready();
  // warm up: tiny tasks make the pool send far ahead of each worker
  await Promise.all(Array.from({ length: 2000 }, (_, i) => pool.run('echo', [i])));
  for (let round = 0; round < 5; round++) {
    const gate = shared(2);
    const long = pool.run('gated', [gate, 'long']);
    const shorts = Array.from({ length: 500 }, (_, i) => pool.run('echo', [i]));
    // Some shorts were sent ahead to the worker now blocked in `long`; the
    // other worker must take them back. If it could not, this would hang.
    const done = await within(Promise.all(shorts), 10_000, `shorts of round ${round}`).catch((e) => {
      throw new Error(`${e.message}; pool: ${JSON.stringify(pool.stats)}`);
    });
    assert.equal(done.length, 500);
    assert.equal(Atomics.load(gate, 1), 1, 'the long task is still running');
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    assert.equal(await long, 'long');
  }
});

test('a task submitted while every worker is busy starts a new worker when allowed', T, async (t) => {
  const pool = track(t, new Pool({ worker: tasks, maxWorkers: 2 }));
  const gate = shared(2);
  const long = pool.run('gated', [gate, 'long']);
  await waitAtLeast(gate, 1, 1);
  assert.equal(await within(pool.run('echo', ['quick']), 10_000, 'quick task'), 'quick');
  assert.equal(pool.stats.workers, 2);
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  await long;
});

test('tasks sent to a worker still starting are taken back by an idle ready worker [thread]', T, async (t) => {
  // worker 2 is held in its setup; worker 1 must not leave the burst's tail waiting for it
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const pool = track(
    t,
    new Pool({
      worker: tasks,
      setup: fixture('pool/setup/gate.js'),
      minWorkers: 1,
      maxWorkers: 2,
      workerData: { gate },
    }),
  );
  t.after(() => {
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
  });
  await pool.ready();
  const created = once(pool, 'workerCreate');
  const burst = Promise.all(Array.from({ length: 50 }, () => pool.run('whoami')));
  await within(created, 10_000, 'a second worker');
  const ids = await within(burst, 10_000, 'the burst, with worker 2 still starting');
  assert.deepEqual(new Set(ids), new Set([1]));
  assert.equal(pool.stats.workers, 2);
});
