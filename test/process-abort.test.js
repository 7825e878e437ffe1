// Cancellation and timeouts on the process runtime: cooperative through
// taskSignal() while the worker can hear the abort, then escalation.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Pool } from 'spindle';
import { beacon } from './helpers/beacon.js';
import { fixture, processAlive, rejectsCode, track, waitGone, within } from './helpers.js';

const T = { timeout: 30_000 };
const tasks = fixture('process/tasks.js');

async function setup(t, options = {}) {
  const b = await beacon();
  t.after(() => b.close());
  const pool = track(t, new Pool({ worker: tasks, runtime: 'process', maxWorkers: 1, ...options }));
  const exits = [];
  pool.on('workerExit', (e) => exits.push(e));
  return { b, pool, exits };
}

function countsFile() {
  const file = join(tmpdir(), `spindle-counts-${process.pid}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, '');
  return { file, runs: () => readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) };
}

test('aborting a queued task removes it at once; a task sent ahead never runs', T, async (t) => {
  const { b, pool } = await setup(t, { minWorkers: 1 });
  await pool.ready();
  const blocker = pool.run('gatedBy', [b.path, 'blocker', 'done']);
  await b.seen('blocker');
  const { file, runs } = countsFile();
  const controllers = [0, 1, 2, 3].map(() => new AbortController());
  const all = controllers.map((c, i) => pool.run('record', [file, i], { signal: c.signal }));
  await new Promise((r) => setImmediate(r)); // the pool sends them ahead to the busy worker
  controllers[1].abort('stop 1');
  controllers[3].abort('stop 3');
  const e = await rejectsCode(all[1], 'ERR_TASK_ABORTED');
  assert.equal(e.cause, 'stop 1');
  await rejectsCode(all[3], 'ERR_TASK_ABORTED');
  b.release('blocker');
  assert.equal(await blocker, 'done');
  assert.equal(await all[0], 0);
  assert.equal(await all[2], 2);
  assert.equal(await pool.run('echo', ['after']), 'after');
  assert.deepEqual(runs(), [0, 2], 'the aborted tasks did not run');
});

test('a running task sees the abort through taskSignal(); the worker survives', T, async (t) => {
  const { b, pool, exits } = await setup(t);
  const c = new AbortController();
  const run = pool.run('abortable', [b.path], { signal: c.signal });
  await b.seen('started');
  const reason = new Error('enough');
  c.abort(reason);
  const e = await rejectsCode(run, 'ERR_TASK_ABORTED');
  assert.equal(e.cause, reason);
  assert.equal(await pool.run('echo', [1]), 1);
  assert.equal(exits.length, 0, 'no worker was replaced');
});

test('a task that ignores the abort is stopped after abortGrace; its worker is replaced', T, async (t) => {
  const { b, pool } = await setup(t, { abortGrace: 50 });
  const c = new AbortController();
  const run = pool.run('spin', [b.path], { signal: c.signal });
  await b.seen('started');
  const exit = once(pool, 'workerExit');
  c.abort();
  await rejectsCode(run, 'ERR_TASK_ABORTED');
  const [info] = await within(exit, 10_000, 'stuck worker exit');
  assert.equal(info.reason, 'stuck');
  assert.equal(info.signal, 'SIGTERM');
  assert.match(info.detail, /spin/);
  assert.equal(await pool.run('echo', [3]), 3, 'a new worker took over');
});

test('timeout counts from the start of the run, not from submission', T, async (t) => {
  const { b, pool } = await setup(t, { minWorkers: 1 });
  await pool.ready();
  const blocker = pool.run('gatedBy', [b.path, 'blocker', 'done']);
  await b.seen('blocker');
  const run = pool.run('sleep', [1], { timeout: 500 });
  await new Promise((r) => setTimeout(r, 800));
  b.release('blocker');
  await blocker;
  assert.equal(await within(run, 10_000, 'queued task'), 1);
});

test('a hung task in a process that ignores SIGTERM still settles; the process is gone afterwards', T, async (t) => {
  const { b, pool } = await setup(t, { abortGrace: 20, killGrace: 200 });
  const pid = await pool.run('pid');
  const exit = once(pool, 'workerExit');
  await rejectsCode(
    within(pool.run('spinIgnoringTerm', [b.path], { timeout: 50 }), 10_000, 'hung'),
    'ERR_TASK_TIMEOUT',
  );
  const [info] = await within(exit, 10_000, 'escalation to SIGKILL');
  assert.equal(info.signal, 'SIGKILL', 'SIGTERM was ignored, SIGKILL was not');
  await waitGone([pid], 5_000);
  assert.equal(processAlive(pid), false);
  assert.equal(await pool.run('add', [2, 3]), 5);
});
