import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Pool } from 'spindle';
import { eachRuntime, fixture, priorityRuns, shared, track, waitAtLeast, within } from './helpers.js';

const T = { timeout: 30_000 };

eachRuntime('runs sync, async and default-export tasks', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker: fixture('pool/tasks.js'), runtime, maxWorkers: 2 }));
  assert.equal(await pool.run('add', [1, 2]), 3);
  assert.equal(await pool.run('addAsync', [3, 4]), 7);
  assert.equal(await pool.run('default', [21]), 42);
  assert.equal(await pool.run('noArgs'), 'none');
});

test('accepts a path, a file: string and a URL', T, async () => {
  for (const worker of [
    fileURLToPath(fixture('pool/tasks.js')),
    fixture('pool/tasks.js').href,
    fixture('pool/tasks.js'),
  ]) {
    const pool = new Pool({ worker, maxWorkers: 1 });
    assert.equal(await pool.run('add', [2, 2]), 4);
    await pool.close();
  }
});

eachRuntime('loads .cjs modules (named and default exports) and .ts modules', T, async (_t, runtime) => {
  const cjs = new Pool({ worker: fixture('pool/tasks.cjs'), runtime, maxWorkers: 1 });
  assert.equal(await cjs.run('add', [2, 3]), 5);
  assert.equal(await cjs.run('kind'), 'cjs');
  await cjs.close();
  const def = new Pool({ worker: fixture('pool/default.cjs'), runtime, maxWorkers: 1 });
  assert.equal(await def.run('default', [3]), 9);
  await def.close();
  const ts = new Pool({ worker: fixture('pool/tasks.ts'), runtime, maxWorkers: 1 });
  assert.equal(await ts.run('add', [4, 5]), 9);
  assert.equal(await ts.run('kind'), 'ts');
  await ts.close();
});

eachRuntime('proxy() gives a function per task and passes options', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker: fixture('pool/tasks.js'), runtime, maxWorkers: 1 }));
  const tasks = pool.proxy();
  assert.equal(await tasks.add(5, 6), 11);
  assert.equal(await tasks.default(4), 8);
  assert.equal(tasks.then, undefined, 'awaiting a proxy must not run a task');
  assert.equal(await pool.proxy({ priority: 5 }).echo('x'), 'x');
});

eachRuntime('many tasks all settle with the right results, over every worker', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker: fixture('pool/tasks.js'), runtime, maxWorkers: 2 }));
  const n = 20_000;
  const results = await within(
    Promise.all(Array.from({ length: n }, (_, i) => pool.run('echo', [i]))),
    20_000,
    'burst',
  );
  assert.deepEqual(
    results,
    Array.from({ length: n }, (_, i) => i),
  );
  const stats = pool.stats;
  assert.equal(stats.completed, n);
  assert.equal(stats.failed, 0);
  assert.equal(stats.queued, 0);
  assert.equal(stats.running, 0);
  assert.ok(stats.workers >= 1 && stats.workers <= 2);
});

test('structured values cross intact; transfer moves buffers both ways', T, async (t) => {
  const pool = track(t, new Pool({ worker: fixture('pool/tasks.js'), maxWorkers: 1 }));
  const value = {
    m: new Map([[1, 'a']]),
    s: new Set([2]),
    d: new Date(5),
    big: 10n ** 20n,
    arr: new Uint16Array([1, 2]),
  };
  assert.deepEqual(await pool.run('echo', [value]), value);
  const buf = new ArrayBuffer(1024);
  assert.equal(await pool.run('byteLength', [buf], { transfer: [buf] }), 1024);
  assert.equal(buf.byteLength, 0, 'the argument buffer was moved, not copied');
  const { buf: back } = await pool.run('makeBuffer', [2048]);
  assert.equal(back.byteLength, 2048);
  assert.equal(new Uint8Array(back)[2047], 7);
});

test('workerData, env and execArgv reach the workers', T, async (t) => {
  const data = { hello: 'world', shared: shared(1) };
  const pool = track(
    t,
    new Pool({
      worker: fixture('pool/tasks.js'),
      maxWorkers: 1,
      workerData: data,
      env: { SPINDLE_TEST_ENV: 'yes' },
      execArgv: ['--no-warnings'],
    }),
  );
  const got = await pool.run('data');
  assert.equal(got.hello, 'world');
  assert.ok(got.shared instanceof Int32Array);
  assert.equal(await pool.run('env', ['SPINDLE_TEST_ENV']), 'yes');
  assert.deepEqual(await pool.run('execArgv'), ['--no-warnings']);
});

test('priorities: higher first, FIFO within a priority', T, async (t) => {
  const pool = track(t, new Pool({ worker: fixture('pool/tasks.js'), maxWorkers: 1, minWorkers: 1 }));
  await pool.ready();
  const gate = shared(2);
  const blocker = pool.run('gated', [gate, 'first']);
  await waitAtLeast(gate, 1, 1); // the only worker is now busy
  const runs = priorityRuns(pool);
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  await blocker;
  await runs.settled;
  runs.check();
});

eachRuntime('events: workerCreate and workerExit, once per worker', T, async (_t, runtime) => {
  const pool = new Pool({ worker: fixture('pool/tasks.js'), runtime, maxWorkers: 2, minWorkers: 2 });
  const created = [];
  const exited = [];
  pool.on('workerCreate', (e) => created.push(e.id));
  pool.on('workerExit', (e) => exited.push(e));
  await pool.ready();
  await pool.run('echo', [1]);
  await pool.close();
  // the two minWorkers were created in the constructor, before we listened
  assert.deepEqual(created, []);
  assert.equal(exited.length, 2);
  assert.ok(exited.every((e) => e.expected && e.reason === 'exit'));
});

test('drain fires when the queue empties; maxQueue rejects when full', T, async (t) => {
  const pool = track(t, new Pool({ worker: fixture('pool/tasks.js'), maxWorkers: 1, minWorkers: 1, maxQueue: 2 }));
  await pool.ready();
  const gate = shared(2);
  const blocker = pool.run('gated', [gate, 1]);
  await waitAtLeast(gate, 1, 1);
  // Submitted synchronously, tasks wait in the queue until the pool's next
  // dispatch; the third one finds the queue full.
  const extra = [pool.run('echo', [1]), pool.run('echo', [2])];
  assert.equal(pool.needsDrain, true);
  const overflow = pool.run('echo', ['overflow']);
  const drained = once(pool, 'drain');
  const err = await overflow.catch((e) => e);
  assert.equal(err.code, 'ERR_POOL_QUEUE_FULL');
  assert.equal(err.maxQueue, 2);
  await within(drained, 10_000, 'drain');
  assert.equal(pool.needsDrain, false);
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  assert.deepEqual(await within(Promise.all([blocker, ...extra]), 10_000, 'tasks'), [1, 1, 2]);
});

eachRuntime('stats report utilization and percentiles', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker: fixture('pool/tasks.js'), runtime, maxWorkers: 2 }));
  await Promise.all(Array.from({ length: 50 }, () => pool.run('sleep', [2])));
  const s = pool.stats;
  assert.equal(s.completed, 50);
  assert.ok(s.runTime.p50 > 0 && s.runTime.p99 >= s.runTime.p50 && s.runTime.max >= s.runTime.p99);
  assert.ok(s.waitTime.max >= 0);
  assert.ok(s.utilization > 0 && s.utilization <= 1);
});

eachRuntime('workers start lazily and stop after idleTimeout above minWorkers', T, async (_t, runtime) => {
  const pool = new Pool({ worker: fixture('pool/tasks.js'), runtime, maxWorkers: 2, idleTimeout: 50 });
  assert.equal(pool.stats.workers, 0);
  const exit = once(pool, 'workerExit');
  await pool.run('echo', [1]);
  assert.equal(pool.stats.workers, 1);
  await within(exit, 10_000, 'idle worker exit');
  assert.equal(pool.stats.workers, 0);
  assert.equal(await pool.run('echo', [2]), 2, 'a new worker starts on demand');
  await pool.close();
});

test("maxWorkers: 'auto' uses the available CPUs", T, async () => {
  const { availableCpus } = await import('spindle');
  const pool = new Pool({ worker: fixture('pool/tasks.js') });
  assert.equal(pool.options.maxWorkers, availableCpus());
  assert.equal(new Pool({ worker: fixture('pool/tasks.js'), maxQueue: 'auto', maxWorkers: 3 }).options.maxQueue, 9);
  await pool.close();
});

test('primitive and structured results interleave correctly (shared ring and messages)', T, async (t) => {
  const pool = track(t, new Pool({ worker: fixture('pool/tasks.js'), maxWorkers: 2 }));
  const values = [];
  for (let i = 0; i < 6000; i++) {
    const k = i % 6;
    values.push(k === 0 ? i : k === 1 ? { i } : k === 2 ? i % 4 === 0 : k === 3 ? null : k === 4 ? undefined : `s${i}`);
  }
  const got = await Promise.all(values.map((v) => pool.run('echo', [v])));
  assert.deepEqual(got, values);
  for (const special of [-0, Number.NaN, Number.POSITIVE_INFINITY, Number.MIN_VALUE, 2 ** 53 + 2]) {
    assert.ok(Object.is(await pool.run('echo', [special]), special), String(special));
  }
});
