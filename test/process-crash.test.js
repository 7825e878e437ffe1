// Worker processes that die: exactly the tasks they were running fail with a
// coded crash error, tasks sent ahead run elsewhere, the worker is replaced.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Pool } from 'spindle';
import { beacon } from './helpers/beacon.js';
import { childPids, fixture, rejectsCode, track, within } from './helpers.js';

const T = { timeout: 30_000 };
const tasks = fixture('process/tasks.js');
const processPool = (t, options) => track(t, new Pool({ worker: tasks, runtime: 'process', ...options }));

test('running out of memory (--max-old-space-size) is reported as reason oom', T, async (t) => {
  const pool = processPool(t, { maxWorkers: 1, execArgv: ['--max-old-space-size=32'], stdio: 'ignore' });
  const e = await rejectsCode(within(pool.run('allocate', [512]), 20_000, 'oom'), 'ERR_WORKER_CRASHED');
  assert.equal(e.reason, 'oom');
  assert.match(e.message, /ran out of memory/);
  assert.match(e.cause.message, /heap out of memory/, 'the cause quotes the last lines of stderr');
  assert.equal(await pool.run('add', [1, 1]), 2);
});

test('a worker killed from outside fails its running task with the signal; the pool carries on', T, async (t) => {
  const b = await beacon();
  t.after(() => b.close());
  const pool = processPool(t, { maxWorkers: 1 });
  const running = pool.run('gatedBy', [b.path, 'victim', 'never']);
  await b.seen('victim');
  const [pid] = childPids();
  process.kill(pid, 'SIGKILL');
  const e = await rejectsCode(within(running, 10_000, 'victim'), 'ERR_WORKER_CRASHED');
  assert.equal(e.reason, 'signal');
  assert.equal(e.signal, 'SIGKILL');
  assert.equal(e.exitCode, null);
  assert.match(e.message, /was killed by SIGKILL while running task 'gatedBy'/);
  assert.deepEqual(await Promise.all([1, 2, 3].map((i) => pool.run('echo', [i]))), [1, 2, 3]);
});

test('tasks sent ahead to a dying worker run elsewhere; finished ones are not run again', T, async (t) => {
  const pool = processPool(t, { maxWorkers: 1, minWorkers: 1 });
  await pool.ready();
  // warm the worker so the pool sends far ahead, then queue finished tasks,
  // the killer, and tasks that will be waiting at the worker when it dies
  await Promise.all(Array.from({ length: 200 }, (_, i) => pool.run('echo', [i])));
  const file = join(tmpdir(), `spindle-counts-${process.pid}-ahead`);
  writeFileSync(file, '');
  const before = Array.from({ length: 50 }, (_, i) => pool.run('record', [file, i]));
  const killer = pool.run('exit', [1]);
  const after = Array.from({ length: 50 }, (_, i) => pool.run('record', [file, 50 + i]));
  await rejectsCode(within(killer, 10_000, 'killer'), 'ERR_WORKER_CRASHED');
  const results = await within(Promise.all([...before, ...after]), 10_000, 'others');
  assert.deepEqual(
    results,
    Array.from({ length: 100 }, (_, i) => i),
  );
  const runs = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
  assert.deepEqual(
    runs,
    Array.from({ length: 100 }, (_, i) => i),
    'every task ran exactly once',
  );
});

test('a large result written just before the next task kills the process still arrives', T, async (t) => {
  const pool = processPool(t, { maxWorkers: 1, minWorkers: 1 });
  await pool.ready();
  await pool.run('echo', [0]);
  // one batch: the 16 MiB result cannot be written at once, and the next task exits
  const result = pool.run('big', [16]);
  const killer = pool.run('exit', [2]);
  assert.equal((await within(result, 20_000, 'big result')).length, 16 * 1048576);
  const e = await rejectsCode(killer, 'ERR_WORKER_CRASHED');
  assert.equal(e.exitCode, 2);
});

test('a worker killed from outside while it starts does not mark the module as broken', T, async (t) => {
  const pool = processPool(t, { maxWorkers: 1, minWorkers: 1 });
  const [starting] = childPids(); // forked in the constructor, not ready yet
  process.kill(starting, 'SIGKILL');
  assert.equal(await within(pool.run('add', [2, 3]), 10_000, 'after the kill'), 5);
  await pool.ready();
});
