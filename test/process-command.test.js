// Pools of programs in other languages over the line protocol (docs/protocol.md),
// run against the Python reference worker in examples/python-worker.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Pool } from 'spindle';
import { beacon } from './helpers/beacon.js';
import { childPids, fixture, rejectsCode, track, waitGone, within } from './helpers.js';

const T = { timeout: 30_000 };
const worker = fileURLToPath(fixture('process/worker.py'));
const python = (t, options) => track(t, new Pool({ command: ['python3', worker], ...options }));

function countsFile(name) {
  const file = join(tmpdir(), `spindle-${name}-${process.pid}-${Date.now()}`);
  writeFileSync(file, '');
  return { file, lines: () => readFileSync(file, 'utf8').split('\n').filter(Boolean) };
}

test('runs tasks in long-lived Python processes: results as JSON', T, async (t) => {
  const pool = python(t, { maxWorkers: 2 });
  assert.equal(pool.options.runtime, 'process');
  assert.equal(await pool.run('add', [1, 2]), 3);
  const value = { list: [1, 'two', null, true], nested: { é: 1.5 } };
  assert.deepEqual(await pool.run('echo', [value]), value);
  assert.equal(await pool.run('nothing'), null);
  const pids = new Set(await Promise.all(Array.from({ length: 200 }, () => pool.run('pid'))));
  assert.ok(pids.size >= 1 && pids.size <= 2, 'no process per task');
  const results = await Promise.all(Array.from({ length: 2000 }, (_, i) => pool.run('add', [i, 1])));
  assert.deepEqual(
    results,
    Array.from({ length: 2000 }, (_, i) => i + 1),
  );
  const env = await pool.run('worker_env');
  assert.ok(['1', '2'].includes(env.SPINDLE_WORKER_ID), env.SPINDLE_WORKER_ID);
  assert.equal(env.SPINDLE_CONCURRENCY, '1');
});

test('env and cwd reach the program; print() goes to stderr, prefixed when asked', T, async (t) => {
  const pool = python(t, {
    maxWorkers: 1,
    env: { ...process.env, SPINDLE_TEST_ENV: 'yes' },
    cwd: tmpdir(),
    concurrency: 2,
  });
  const env = await pool.run('worker_env');
  assert.deepEqual(env, { SPINDLE_WORKER_ID: '1', SPINDLE_CONCURRENCY: '2', SPINDLE_TEST_ENV: 'yes' });
  assert.equal(await pool.run('chatty', ['hi']), 'hi', 'print() did not break the protocol');
});

test('a task that raises rejects with the error rebuilt: name, message, code, traceback', T, async (t) => {
  const pool = python(t, { maxWorkers: 1 });
  const coded = await pool.run('fail', ['coded']).catch((e) => e);
  assert.equal(coded.name, 'CodedError');
  assert.equal(coded.message, 'with code');
  assert.equal(coded.code, 'E_CUSTOM');
  assert.match(coded.stack, /Traceback[\s\S]*worker\.py/);
  const typed = await pool.run('fail', ['type']).catch((e) => e);
  assert.ok(typed instanceof TypeError);
  const notJson = await pool.run('not_json').catch((e) => e);
  assert.match(notJson.message, /not JSON/);
  await rejectsCode(pool.run('nope'), 'ERR_TASK_NOT_FOUND');
  await rejectsCode(pool.run('echo', [10n]), 'ERR_TASK_NOT_CLONEABLE');
  assert.equal(await pool.run('add', [2, 2]), 4, 'the worker keeps serving');
  assert.equal(pool.stats.workers, 1);
});

test('an unknown task sent before the worker was ready is answered ERR_TASK_NOT_FOUND', T, async (t) => {
  const pool = python(t, { maxWorkers: 1 });
  const [bad, good] = await Promise.allSettled([pool.run('nope'), pool.run('add', [1, 1])]);
  assert.equal(bad.reason?.code, 'ERR_TASK_NOT_FOUND');
  assert.equal(good.value, 2);
});

test('a crash mid-task fails that task with ERR_WORKER_CRASHED; tasks behind it run elsewhere', T, async (t) => {
  const pool = python(t, { maxWorkers: 1, minWorkers: 1 });
  await pool.ready();
  await Promise.all(Array.from({ length: 100 }, (_, i) => pool.run('echo', [i]))); // warm: tasks go ahead
  const { file, lines } = countsFile('py-crash');
  const before = Array.from({ length: 20 }, (_, i) => pool.run('record', [file, i]));
  const crash = pool.run('crash', [3]);
  const after = Array.from({ length: 20 }, (_, i) => pool.run('record', [file, 20 + i]));
  const e = await rejectsCode(within(crash, 10_000, 'crash'), 'ERR_WORKER_CRASHED');
  assert.equal(e.exitCode, 3);
  assert.equal(e.reason, 'exit');
  assert.match(e.cause.message, /about to crash with 3/, 'the cause quotes its last stderr lines');
  assert.deepEqual(
    await Promise.all([...before, ...after]),
    Array.from({ length: 40 }, (_, i) => i),
  );
  assert.deepEqual(
    lines()
      .map(Number)
      .sort((a, b) => a - b),
    Array.from({ length: 40 }, (_, i) => i),
    'each ran once',
  );
});

test(
  'garbage on stdout is a protocol error: that task fails, the worker is replaced, others are fine',
  T,
  async (t) => {
    const pool = python(t, { maxWorkers: 1, minWorkers: 1 });
    await pool.ready();
    await Promise.all(Array.from({ length: 100 }, (_, i) => pool.run('echo', [i])));
    const exited = once(pool, 'workerExit');
    const { file, lines } = countsFile('py-garbage');
    const before = Array.from({ length: 20 }, (_, i) => pool.run('record', [file, i]));
    const garbage = pool.run('garbage', ['hello, not json']);
    const after = Array.from({ length: 20 }, (_, i) => pool.run('record', [file, 20 + i]));
    const e = await rejectsCode(within(garbage, 10_000, 'garbage'), 'ERR_WORKER_CRASHED');
    assert.equal(e.reason, 'protocol');
    assert.equal(e.cause.code, 'ERR_WORKER_PROTOCOL');
    assert.equal(e.cause.line, 'hello, not json');
    assert.deepEqual(
      await within(Promise.all([...before, ...after]), 10_000, 'others'),
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.deepEqual(
      lines()
        .map(Number)
        .sort((a, b) => a - b),
      Array.from({ length: 40 }, (_, i) => i),
      'none ran twice',
    );
    const [info] = await within(exited, 10_000, 'worker exit');
    assert.equal(info.reason, 'protocol');
    assert.equal(info.expected, false);
    assert.equal(await pool.run('add', [1, 1]), 2, 'a new worker took over');
  },
);

test('aborts: a waiting task never runs, a running one can stop, one that ignores it is killed', T, async (t) => {
  const b = await beacon();
  t.after(() => b.close());
  const pool = python(t, { maxWorkers: 1, minWorkers: 1, abortGrace: 100, killGrace: 200 });
  await pool.ready();
  const { file, lines } = countsFile('py-abort');
  const c1 = new AbortController();
  const c2 = new AbortController();
  const running = pool.run('until_aborted', [b.path], { signal: c1.signal });
  const waiting = pool.run('record', [file, 99], { signal: c2.signal });
  const exits = [];
  pool.on('workerExit', (e) => exits.push(e));
  await b.seen('started');
  c2.abort();
  c1.abort();
  await rejectsCode(running, 'ERR_TASK_ABORTED');
  await rejectsCode(waiting, 'ERR_TASK_ABORTED');
  assert.equal(await pool.run('add', [1, 2]), 3);
  assert.deepEqual(lines(), [], 'the aborted waiting task did not run');
  assert.equal(exits.length, 0, 'the cooperative task stopped; no worker was replaced');
  await rejectsCode(within(pool.run('spin', [], { timeout: 50 }), 10_000, 'spin'), 'ERR_TASK_TIMEOUT');
  const [info] = await within(once(pool, 'workerExit'), 10_000, 'stuck worker stopped');
  assert.equal(info.reason, 'stuck');
  assert.equal(await pool.run('add', [2, 3]), 5);
});

test('a program that cannot start, or talks before it is ready, fails with ERR_WORKER_LOAD', T, async () => {
  for (const command of [
    ['spindle-no-such-program-xyz'],
    ['python3', '-c', 'import sys; sys.exit(4)'],
    ['python3', '-c', 'print("hello"); import time; time.sleep(30)'],
    ['python3', '-c', 'import json; print(json.dumps({"type": "error", "error": {"message": "no GPU"}}))'],
  ]) {
    const pool = new Pool({ command, maxWorkers: 2 });
    let created = 0;
    pool.on('workerCreate', () => created++);
    const settled = await within(
      Promise.allSettled([pool.run('a'), pool.run('b'), pool.run('c')]),
      10_000,
      command.join(' '),
    );
    for (const s of settled)
      assert.equal(s.reason?.code, 'ERR_WORKER_LOAD', `${command.join(' ')}: ${s.reason?.message}`);
    assert.ok(created <= 2, `${command.join(' ')}: created ${created} workers (maxWorkers 2): no respawn loop`);
    await pool.destroy();
  }
  assert.deepEqual(childPids(), []);
});

test('close() stops idle programs by closing stdin (exit code 0); nothing is left', T, async () => {
  const pool = new Pool({ command: ['python3', worker], maxWorkers: 2, minWorkers: 2 });
  await pool.ready();
  const pids = await Promise.all([pool.run('pid'), pool.run('pid')]);
  const exits = [];
  pool.on('workerExit', (e) => exits.push(e));
  await within(pool.close(), 10_000, 'close');
  assert.deepEqual(
    exits.map((e) => [e.expected, e.exitCode]),
    [
      [true, 0],
      [true, 0],
    ],
  );
  await waitGone(pids, 5_000);
  assert.deepEqual(childPids(), []);
});
