import assert from 'node:assert/strict';
import { Pool } from 'spindle';
import { eachRuntime, fixture, track, within } from './helpers.js';

const T = { timeout: 30_000 };
const tasks = fixture('pool/tasks.js');

eachRuntime('recycle.afterTasks replaces a worker after exactly N tasks', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker: tasks, runtime, maxWorkers: 1, recycle: { afterTasks: 3 } }));
  const exits = [];
  pool.on('workerExit', (e) => exits.push(e));
  const ids = [];
  for (let i = 0; i < 9; i++) ids.push(await pool.run('whoami'));
  assert.deepEqual(ids, [1, 1, 1, 2, 2, 2, 3, 3, 3]);
  // a burst also respects the limit per worker
  const burst = await within(Promise.all(Array.from({ length: 30 }, () => pool.run('whoami'))), 10_000, 'burst');
  const perWorker = new Map();
  for (const id of burst) perWorker.set(id, (perWorker.get(id) ?? 0) + 1);
  assert.ok(
    [...perWorker.values()].every((n) => n <= 3),
    JSON.stringify([...perWorker]),
  );
  assert.ok(exits.length >= 2 && exits.every((e) => e.expected));
});

eachRuntime('recycle.maxHeapMb replaces a worker whose heap grew past the limit', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker: tasks, runtime, maxWorkers: 1, recycle: { maxHeapMb: 40 } }));
  const exits = [];
  pool.on('workerExit', (e) => exits.push(e));
  const first = await pool.run('whoami');
  // each call keeps ~8 MB more alive in the worker
  for (let i = 0; i < 40 && exits.length === 0; i++) {
    await pool.run('grow', [8]);
    await new Promise((r) => setTimeout(r, 110)); // the worker checks its heap at most every 100 ms
  }
  assert.equal(exits.length, 1);
  assert.match(exits[0].detail, /recycled at \d+ MB of heap/);
  assert.notEqual(await pool.run('whoami'), first);
});
