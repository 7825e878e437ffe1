import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { Pool } from 'spindle';
import { eachRuntime, fixture, rejectsCode, shared, track, waitAtLeast, within } from './helpers.js';

const T = { timeout: 30_000 };
const tasks = fixture('pool/tasks.js');

async function busyPool(t, options = {}) {
  const pool = track(t, new Pool({ worker: tasks, maxWorkers: 1, minWorkers: 1, ...options }));
  await pool.ready();
  const gate = shared(2);
  const blocker = pool.run('gated', [gate, 'blocker']);
  await waitAtLeast(gate, 1, 1);
  const release = () => {
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    return blocker;
  };
  return { pool, release };
}

eachRuntime('an already-aborted signal rejects at once with the reason as cause', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker: tasks, runtime }));
  const reason = new Error('changed my mind');
  const e = await rejectsCode(pool.run('add', [1, 2], { signal: AbortSignal.abort(reason) }), 'ERR_TASK_ABORTED');
  assert.equal(e.cause, reason);
  assert.equal(pool.stats.workers, 0);
});

test('aborting a waiting task removes it at once; it never runs', T, async (t) => {
  const { pool, release } = await busyPool(t);
  const counts = shared(4);
  const controllers = [0, 1, 2, 3].map(() => new AbortController());
  const runs = controllers.map((c, i) => pool.run('count', [counts, i], { signal: c.signal }));
  controllers[1].abort('stop 1');
  controllers[3].abort('stop 3');
  const e = await rejectsCode(runs[1], 'ERR_TASK_ABORTED');
  assert.equal(e.cause, 'stop 1');
  await rejectsCode(runs[3], 'ERR_TASK_ABORTED');
  await release();
  assert.equal(await runs[0], 0);
  assert.equal(await runs[2], 2);
  assert.deepEqual([...counts], [1, 0, 1, 0], 'aborted tasks did not run');
});

test('aborting a task sent ahead (not started) takes it back; it never runs', T, async (t) => {
  const { pool, release } = await busyPool(t);
  const counts = shared(1);
  const c = new AbortController();
  const run = pool.run('count', [counts, 0], { signal: c.signal });
  await new Promise((r) => setImmediate(r)); // let the pool send it ahead
  assert.equal(pool.stats.queued, 0, 'sent ahead to the busy worker');
  c.abort();
  await rejectsCode(run, 'ERR_TASK_ABORTED');
  await release();
  assert.equal(await pool.run('echo', ['after']), 'after');
  assert.equal(counts[0], 0);
});

test('a running task sees the abort through taskSignal() and the worker survives', T, async (t) => {
  const pool = track(t, new Pool({ worker: tasks, maxWorkers: 1 }));
  const exits = [];
  pool.on('workerExit', (e) => exits.push(e));
  const started = shared(1);
  const c = new AbortController();
  const run = pool.run('waitForAbort', [started], { signal: c.signal });
  await waitAtLeast(started, 0, 1);
  const reason = new Error('enough');
  c.abort(reason);
  const e = await rejectsCode(run, 'ERR_TASK_ABORTED');
  assert.equal(e.cause, reason);
  assert.equal(await pool.run('echo', [1]), 1);
  assert.equal(exits.length, 0, 'no worker was replaced');
});

test('a synchronous loop sees the abort through throwIfAborted()', T, async (t) => {
  const pool = track(t, new Pool({ worker: tasks, maxWorkers: 1, abortGrace: 60_000 }));
  const exits = [];
  pool.on('workerExit', (e) => exits.push(e));
  const started = shared(1);
  const c = new AbortController();
  const run = pool.run('spinUntilAborted', [started], { signal: c.signal });
  await waitAtLeast(started, 0, 1);
  c.abort();
  await rejectsCode(run, 'ERR_TASK_ABORTED');
  assert.equal(await within(pool.run('echo', [2]), 10_000, 'next task'), 2, 'same worker serves again');
  assert.equal(exits.length, 0);
});

test('a task that ignores the abort is stopped after abortGrace; its worker is replaced', T, async (t) => {
  const pool = track(t, new Pool({ worker: tasks, maxWorkers: 1, abortGrace: 50 }));
  const started = shared(1);
  const c = new AbortController();
  const run = pool.run('forever', [started], { signal: c.signal });
  await waitAtLeast(started, 0, 1);
  const exit = once(pool, 'workerExit');
  c.abort();
  await rejectsCode(run, 'ERR_TASK_ABORTED');
  const [info] = await within(exit, 10_000, 'stuck worker exit');
  assert.equal(info.reason, 'stuck');
  assert.match(info.detail, /forever/);
  assert.equal(await pool.run('echo', [3]), 3, 'a new worker took over');
});

test('timeout counts from the start of the run, not from submission', T, async (t) => {
  const { pool, release } = await busyPool(t);
  // queued behind the blocker far longer than its timeout, then runs quickly
  const run = pool.run('sleep', [1], { timeout: 1000 });
  await new Promise((r) => setTimeout(r, 1300));
  await release();
  assert.equal(await within(run, 10_000, 'queued task'), 1);
});

eachRuntime(
  'a task past its timeout rejects with ERR_TASK_TIMEOUT; cooperative tasks keep the worker',
  T,
  async (t, runtime) => {
    const pool = track(t, new Pool({ worker: tasks, runtime, maxWorkers: 1, taskTimeout: 30 }));
    const exits = [];
    pool.on('workerExit', (e) => exits.push(e));
    const e = await rejectsCode(within(pool.run('waitForAbort'), 10_000, 'timeout'), 'ERR_TASK_TIMEOUT');
    assert.equal(e.timeout, 30);
    // per-call timeout overrides the pool's
    assert.equal(await pool.run('sleep', [60], { timeout: 10_000 }), 60);
    assert.equal(exits.length, 0);
  },
);

eachRuntime('a hung task past its timeout is stopped and its worker replaced', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker: tasks, runtime, maxWorkers: 1, abortGrace: 20 }));
  const exit = once(pool, 'workerExit');
  await rejectsCode(within(pool.run('forever', [], { timeout: 50 }), 10_000, 'hung task'), 'ERR_TASK_TIMEOUT');
  await within(exit, 10_000, 'worker exit');
  assert.equal(await pool.run('add', [2, 3]), 5);
});
