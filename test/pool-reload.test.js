// pool.reload(), pool.scale() and pool.workers: workers replaced or added
// or removed while tasks stream through, with no task lost or run twice
// (each run appends its index to a file, so both runtimes can be checked).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Pool } from 'spindle';
import { eachRuntime, rejectsCode, shared, track, waitAtLeast, within } from './helpers.js';

const T = { timeout: 60_000 };

/** A task module in a fresh directory; `write(version)` rewrites it (a version that is not a string breaks it). */
function moduleDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'spindle-reload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tasks.mjs');
  const log = join(dir, 'runs.log');
  const write = (version, extra = '') =>
    writeFileSync(
      file,
      `import { appendFileSync } from 'node:fs';
${typeof version === 'string' ? '' : 'this is not JavaScript;'}
export function version() { return ${JSON.stringify(version)}; }
/** Appends i to the log (one line per run), waits ms, returns this module's version. */
export function mark(log, i, ms) {
  appendFileSync(log, i + '\\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return ${JSON.stringify(version)};
}
/** Blocks until gate[0] != 0, counting its start in gate[1] (threads). */
export function gated(gate) {
  Atomics.add(gate, 1, 1);
  Atomics.notify(gate, 1);
  Atomics.wait(gate, 0, 0, 10_000);
  return 'gated';
}
${extra}`,
    );
  write('v1');
  return { url: pathToFileURL(file), log, write };
}

/** Every index 0..n-1 ran exactly once. */
function ranOnce(log, n) {
  const runs = readFileSync(log, 'utf8').trim().split('\n').map(Number);
  const counts = new Map();
  for (const i of runs) counts.set(i, (counts.get(i) ?? 0) + 1);
  const twice = [...counts].filter(([, c]) => c !== 1);
  assert.deepEqual(twice, [], 'tasks that ran more than once');
  assert.equal(counts.size, n, `${counts.size} of ${n} tasks ran`);
}

/**
 * Keeps 12 tasks in flight (12 lanes, each submitting its next task when its
 * last one settled) from before `during()` starts until 20 tasks after it
 * resolved: the operation always happens in the middle of the stream.
 */
async function stream(pool, log, during, ms = 4) {
  const results = [];
  let settled = 0;
  let stopAt = Number.POSITIVE_INFINITY;
  let fire;
  const reached = new Promise((resolve) => (fire = resolve));
  const lane = async () => {
    while (settled < stopAt) {
      const p = pool.run('mark', [log, results.length, ms]);
      results.push(p);
      await p;
      if (++settled === 20) fire();
    }
  };
  const lanes = Array.from({ length: 12 }, lane);
  await within(reached, 20_000, 'the first 20 tasks');
  const outcome = await within(during(), 30_000, 'the operation during the stream');
  stopAt = settled + 20;
  await within(Promise.all(lanes), 30_000, 'the stream');
  return { outcome, results: await Promise.all(results) };
}

eachRuntime('reload() under a stream of tasks: new code, every task runs exactly once', T, async (t, runtime) => {
  const m = moduleDir(t);
  const pool = track(t, new Pool({ worker: m.url, runtime, minWorkers: 2, maxWorkers: 2 }));
  const exits = [];
  pool.on('workerExit', (e) => exits.push(e));
  await pool.ready();
  const before = pool.workers.map((w) => w.id);
  assert.deepEqual(before, [1, 2]);
  const { outcome, results } = await stream(pool, m.log, () => {
    m.write('v2');
    return pool.reload();
  });
  ranOnce(m.log, results.length);
  assert.deepEqual(outcome.replaced, [1, 2]);
  assert.deepEqual(
    outcome.workers.map((w) => w.id),
    [3, 4],
  );
  assert.ok(results.includes('v1') && results.includes('v2'), 'tasks ran on both versions');
  assert.equal(results.at(-1), 'v2');
  assert.equal(await pool.run('version'), 'v2');
  assert.deepEqual(
    pool.workers.map((w) => w.id),
    [3, 4],
  );
  // the old workers were stopped by the pool (expected), after the new ones were ready
  assert.deepEqual(exits.map((e) => [e.id, e.expected]).sort(), [
    [1, true],
    [2, true],
  ]);
  assert.match(exits[0].detail, /reload/);
});

eachRuntime('reload() to a module that does not load: refused, the old workers keep running', T, async (t, runtime) => {
  const m = moduleDir(t);
  const pool = track(t, new Pool({ worker: m.url, runtime, minWorkers: 2, maxWorkers: 2 }));
  await pool.ready();
  m.write(null);
  const running = Array.from({ length: 40 }, (_, i) => pool.run('mark', [m.log, i, 2]));
  const err = await rejectsCode(pool.reload(), 'ERR_POOL_RELOAD_FAILED');
  assert.equal(err.cause?.code, 'ERR_WORKER_LOAD');
  assert.equal(pool.state, 'running');
  const results = await within(Promise.all(running), 20_000, 'tasks during the failed reload');
  assert.ok(results.every((v) => v === 'v1'));
  ranOnce(m.log, 40);
  assert.equal(await pool.run('version'), 'v1');
  assert.deepEqual(
    pool.workers.map((w) => w.id),
    [1, 2],
  );
  // fixed, it reloads
  m.write('v3');
  await pool.reload();
  assert.equal(await pool.run('version'), 'v3');
});

test('reload() takes the new module task names; an idle pool without workers has nothing to replace', T, async (t) => {
  const m = moduleDir(t);
  const pool = track(t, new Pool({ worker: m.url, minWorkers: 0, maxWorkers: 1 }));
  assert.deepEqual(await pool.reload(), { workers: [], replaced: [] });
  await pool.ready();
  m.write('v2', 'export function added() { return "new task"; }');
  await rejectsCode(pool.run('added'), 'ERR_TASK_NOT_FOUND');
  await pool.reload();
  assert.equal(await pool.run('added'), 'new task');
  assert.ok((await pool.taskNames()).includes('added'));
});

eachRuntime('scale() up and down under a stream of tasks: every task runs exactly once', T, async (t, runtime) => {
  const m = moduleDir(t);
  const pool = track(t, new Pool({ worker: m.url, runtime, minWorkers: 2, maxWorkers: 2 }));
  const events = [];
  pool.on('scale', (e) => events.push(e));
  await pool.ready();
  const up = await stream(pool, m.log, () => pool.scale(4));
  assert.deepEqual(up.outcome, { workers: 4, previous: 2, started: [3, 4], stopped: [] });
  assert.equal(pool.options.maxWorkers, 4);
  assert.equal(pool.options.minWorkers, 4, 'a fixed-size pool stays fixed');
  assert.equal(pool.workers.length, 4);
  ranOnce(m.log, up.results.length);
  writeFileSync(m.log, '');
  const down = await stream(pool, m.log, () => pool.scale(1));
  assert.equal(down.outcome.workers, 1);
  assert.equal(down.outcome.previous, 4);
  assert.equal(down.outcome.stopped.length, 3);
  assert.equal(pool.workers.length, 1);
  assert.equal(pool.options.minWorkers, 1);
  ranOnce(m.log, down.results.length);
  assert.deepEqual(events, [up.outcome, down.outcome]);
});

test('scale(): a dynamic pool keeps its minWorkers; refusals are coded', T, async (t) => {
  const m = moduleDir(t);
  const pool = track(t, new Pool({ worker: m.url, minWorkers: 1, maxWorkers: 2 }));
  await pool.ready();
  assert.deepEqual(await pool.scale(3), { workers: 3, previous: 2, started: [], stopped: [] });
  assert.equal(pool.options.minWorkers, 1);
  assert.equal(pool.workers.length, 1);
  await rejectsCode(pool.scale(0), 'ERR_INVALID_OPTION');
  await rejectsCode(pool.scale('many'), 'ERR_INVALID_OPTION');
  await rejectsCode(pool.scale(1.5), 'ERR_INVALID_OPTION');
  await pool.close();
  await rejectsCode(pool.scale(2), 'ERR_POOL_CLOSED');
  await rejectsCode(pool.reload(), 'ERR_POOL_CLOSED');
});

test('scale() up to a module that no longer loads: ERR_POOL_SCALE_FAILED, the size stays', T, async (t) => {
  const m = moduleDir(t);
  const pool = track(t, new Pool({ worker: m.url, minWorkers: 2, maxWorkers: 2 }));
  await pool.ready();
  m.write(null);
  const err = await rejectsCode(pool.scale(4), 'ERR_POOL_SCALE_FAILED');
  assert.equal(err.wanted, 4);
  assert.equal(err.workers, 2);
  assert.equal(pool.options.maxWorkers, 2);
  assert.equal(await pool.run('version'), 'v1');
  assert.deepEqual(
    pool.workers.map((w) => w.id),
    [1, 2],
  );
});

test('pool.workers: state, tasks settled and the task each one runs', T, async (t) => {
  const m = moduleDir(t);
  const pool = track(t, new Pool({ worker: m.url, minWorkers: 2, maxWorkers: 2 }));
  await pool.ready();
  await pool.run('version');
  const gate = shared(2);
  const started = Date.now();
  const running = pool.run('gated', [gate], { label: 'job-7' });
  await waitAtLeast(gate, 1, 1);
  const busy = pool.workers.find((w) => w.state === 'busy');
  assert.ok(busy, JSON.stringify(pool.workers));
  assert.equal(busy.running.length, 1);
  assert.equal(busy.running[0].name, 'gated');
  assert.equal(busy.running[0].label, 'job-7');
  assert.ok(busy.running[0].since >= started - 1000 && busy.running[0].since <= Date.now() + 1000);
  assert.equal(busy.pid, null);
  const idle = pool.workers.find((w) => w !== busy && w.id !== busy.id);
  assert.equal(idle.state, 'idle');
  assert.equal(
    pool.workers.reduce((n, w) => n + w.tasks, 0),
    1,
  );
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  assert.equal(await running, 'gated');
  for (const label of [7, 'x'.repeat(201), null]) {
    await assert.rejects(
      pool.run('version', [], { label }),
      (e) => e.code === 'ERR_INVALID_OPTION' && e.option === 'options.label',
    );
  }
  assert.equal(
    pool.workers.reduce((n, w) => n + w.tasks, 0),
    2,
  );
});

test(
  'fuzz: scale() takes any value: a size (1..1024 or auto) is applied, anything else is ERR_INVALID_OPTION',
  T,
  async (t) => {
    const { anyValue, check, fc } = await import('./helpers/fuzz.js');
    const m = moduleDir(t);
    // minWorkers 0: a size only moves maxWorkers, no worker starts
    const pool = track(t, new Pool({ worker: m.url, minWorkers: 0, maxWorkers: 1 }));
    await check(
      fc.asyncProperty(fc.oneof(anyValue(), fc.integer({ min: -5, max: 1100 })), async (value) => {
        const valid = value === 'auto' || (Number.isInteger(value) && value >= 1 && value <= 1024);
        try {
          const r = await pool.scale(value);
          assert.ok(valid, `accepted a ${typeof value}`);
          assert.equal(pool.options.maxWorkers, r.workers);
          assert.deepEqual(r.started, []);
        } catch (err) {
          assert.ok(!valid, `refused a valid size: ${err?.message}`);
          assert.equal(err.code, 'ERR_INVALID_OPTION');
          assert.match(err.message, /`workers`/);
        }
      }),
    );
    assert.equal(pool.workers.length, 0);
  },
);
