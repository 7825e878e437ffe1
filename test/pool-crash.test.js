import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { Pool } from 'spindle';
import { eachRuntime, fixture, rejectsCode, shared, track, waitAtLeast, within } from './helpers.js';

const T = { timeout: 30_000 };
const tasks = fixture('pool/tasks.js');

eachRuntime(
  'process.exit in a task rejects it with ERR_WORKER_CRASHED and replaces the worker',
  T,
  async (t, runtime) => {
    const pool = track(t, new Pool({ worker: tasks, runtime, maxWorkers: 1 }));
    const exit = once(pool, 'workerExit');
    const e = await rejectsCode(within(pool.run('exit', [4]), 10_000, 'exit'), 'ERR_WORKER_CRASHED');
    assert.equal(e.exitCode, 4);
    assert.equal(e.reason, 'exit');
    assert.match(e.message, /exited with code 4 while running task 'exit'/);
    const [info] = await exit;
    assert.equal(info.expected, false);
    assert.equal(await pool.run('add', [1, 1]), 2);
  },
);

eachRuntime('an uncaught exception kills the worker; the running task gets it as cause', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker: tasks, runtime, maxWorkers: 1 }));
  const e = await rejectsCode(within(pool.run('throwLater', ['stray']), 10_000, 'uncaught'), 'ERR_WORKER_CRASHED');
  assert.equal(e.reason, 'error');
  assert.equal(e.cause.message, 'stray');
  assert.equal(await pool.run('add', [1, 1]), 2);
});

test('running out of memory (resourceLimits) is reported as reason oom', T, async (t) => {
  const pool = track(t, new Pool({ worker: tasks, maxWorkers: 1, resourceLimits: { maxOldGenerationSizeMb: 32 } }));
  const e = await rejectsCode(within(pool.run('allocate', [512]), 20_000, 'oom'), 'ERR_WORKER_CRASHED');
  assert.equal(e.reason, 'oom');
  assert.match(e.message, /out of memory/);
  assert.equal(await pool.run('add', [1, 1]), 2);
});

test('tasks sent ahead to a dying worker run elsewhere; finished ones are not re-run', T, async (t) => {
  const pool = track(t, new Pool({ worker: tasks, maxWorkers: 1, minWorkers: 1 }));
  await pool.ready();
  // Warm the worker so it sends far ahead, then queue: finished tasks, the
  // killer, and many tasks that will be waiting at the worker when it dies.
  await Promise.all(Array.from({ length: 200 }, (_, i) => pool.run('echo', [i])));
  const counts = shared(100);
  const before = Array.from({ length: 50 }, (_, i) => pool.run('count', [counts, i]));
  const killer = pool.run('exit', [1]);
  const after = Array.from({ length: 50 }, (_, i) => pool.run('count', [counts, 50 + i]));
  await rejectsCode(within(killer, 10_000, 'killer'), 'ERR_WORKER_CRASHED');
  const results = await within(Promise.all([...before, ...after]), 10_000, 'others');
  assert.deepEqual(
    results,
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert.deepEqual([...counts], new Array(100).fill(1), 'every task ran exactly once');
});

eachRuntime(
  'a worker that dies while idle is replaced and reported through an error listener',
  T,
  async (t, runtime) => {
    const pool = track(t, new Pool({ worker: fixture('pool/crash-idle.js'), runtime, maxWorkers: 1, minWorkers: 1 }));
    const [err] = await within(once(pool, 'error'), 10_000, 'error event');
    assert.equal(err.code, 'ERR_WORKER_CRASHED');
    assert.equal(err.exitCode, 9);
    assert.match(err.message, /while idle/);
  },
);

eachRuntime('workers that keep dying without running anything stop being respawned', T, async (t, runtime) => {
  // minWorkers keeps replacing the dead worker; nothing is submitted, so
  // every exit is barren and the third one trips the breaker.
  const pool = track(
    t,
    new Pool({ worker: fixture('pool/dies-after-load.js'), runtime, maxWorkers: 1, minWorkers: 1 }),
  );
  const errors = [];
  pool.on('error', (e) => errors.push(e));
  let created = 1; // the first one started in the constructor
  pool.on('workerCreate', () => created++);
  await within(
    new Promise((resolve) => pool.on('error', () => errors.length === 3 && resolve())),
    10_000,
    'three barren exits',
  );
  const e = await rejectsCode(pool.run('noop'), 'ERR_WORKER_CRASHED');
  assert.match(e.message, /3 workers in a row died without running a task/);
  assert.equal(created, 3);
  assert.equal(pool.stats.workers, 0);
});

test('a stuck worker terminated after a timeout only fails the stuck task', T, async (t) => {
  const pool = track(t, new Pool({ worker: tasks, maxWorkers: 2, minWorkers: 2, abortGrace: 10 }));
  await pool.ready();
  const started = shared(1);
  const stuck = pool.run('forever', [started], { timeout: 100 });
  await waitAtLeast(started, 0, 1);
  const others = Array.from({ length: 100 }, (_, i) => pool.run('echo', [i]));
  await rejectsCode(within(stuck, 10_000, 'stuck'), 'ERR_TASK_TIMEOUT');
  assert.equal((await within(Promise.all(others), 10_000, 'others')).length, 100);
});
