import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Pool } from 'spindle';
import {
  childPids,
  eachRuntime,
  fixture,
  rejectsCode,
  runNode,
  shared,
  threadCount,
  waitAtLeast,
  within,
} from './helpers.js';

const T = { timeout: 30_000 };
const tasks = fixture('pool/tasks.js');
const tasksPath = fileURLToPath(tasks);

eachRuntime('close() finishes queued and running work, then stops every worker', T, async (_t, runtime) => {
  const baseline = threadCount();
  const pool = new Pool({ worker: tasks, runtime, maxWorkers: 2 });
  assert.equal(pool.state, 'running');
  const runs = Array.from({ length: 100 }, (_, i) => pool.run('sleep', [i % 3]));
  const closing = pool.close();
  assert.equal(pool.state, 'closing');
  await rejectsCode(pool.run('echo', [1]), 'ERR_POOL_CLOSED');
  assert.deepEqual(await within(closing, 20_000, 'close'), { clean: true });
  assert.equal(pool.state, 'closed');
  assert.equal((await Promise.all(runs)).length, 100);
  assert.equal(pool.close(), closing, 'close() is idempotent');
  assert.equal(pool.close({ grace: 0 }), closing, 'a later call gets the first promise, whatever its options');
  assert.equal(threadCount(), baseline, 'no worker thread is left');
  assert.deepEqual(childPids(), [], 'no worker process is left');
});

test(
  'close({ grace }) forces what is left past grace: ERR_POOL_DESTROYED for those tasks, { clean: false }',
  T,
  async () => {
    const baseline = threadCount();
    const pool = new Pool({ worker: tasks, maxWorkers: 1 });
    const started = shared(1);
    const hung = pool.run('forever', [started]).catch((e) => e);
    const queued = pool.run('echo', [1]).catch((e) => e);
    await waitAtLeast(started, 0, 1);
    assert.deepEqual(await within(pool.close({ grace: 100 }), 10_000, 'close'), { clean: false });
    assert.equal((await hung).code, 'ERR_POOL_DESTROYED');
    assert.equal((await queued).code, 'ERR_POOL_DESTROYED');
    assert.equal(threadCount(), baseline);
  },
);

test(
  'close() options: a bad grace or an unknown option rejects (never throws) with ERR_INVALID_OPTION',
  T,
  async () => {
    const pool = new Pool({ worker: tasks, maxWorkers: 1 });
    for (const [options, option] of [
      [{ grace: -1 }, 'grace'],
      [{ grace: 3e9 }, 'grace'],
      [{ grace: '10' }, 'grace'],
      [{ timeout: 100 }, 'timeout'],
      ['soon', 'options'],
    ]) {
      const e = await rejectsCode(pool.close(options), 'ERR_INVALID_OPTION');
      assert.equal(e.option, option);
    }
    assert.equal(pool.state, 'running', 'a refused close() changes nothing');
    assert.equal(await pool.run('add', [1, 2]), 3);
    assert.deepEqual(await pool.close({ grace: '1s' }), { clean: true });
  },
);

test("the pool's grace option is close()'s default", T, async () => {
  const pool = new Pool({ worker: tasks, maxWorkers: 1, grace: 50 });
  const started = shared(1);
  const hung = pool.run('forever', [started]).catch((e) => e);
  await waitAtLeast(started, 0, 1);
  assert.deepEqual(await within(pool.close(), 10_000, 'close'), { clean: false });
  assert.equal((await hung).code, 'ERR_POOL_DESTROYED');
});

test('destroy() rejects queued and running tasks, stops threads, and is idempotent', T, async () => {
  const baseline = threadCount();
  const pool = new Pool({ worker: tasks, maxWorkers: 2, minWorkers: 2 });
  await pool.ready();
  const started = shared(1);
  const running = pool.run('forever', [started]).catch((e) => e);
  // long enough that none can finish before destroy(), however slow the machine
  const queued = Promise.allSettled(Array.from({ length: 1000 }, (_, i) => pool.run('sleep', [5_000 + i])));
  await waitAtLeast(started, 0, 1);
  const d = pool.destroy();
  assert.equal(pool.destroy(), d);
  await within(d, 10_000, 'destroy');
  assert.equal((await running).code, 'ERR_POOL_DESTROYED');
  const settled = await queued;
  assert.ok(settled.every((s) => s.status === 'rejected' && s.reason.code === 'ERR_POOL_DESTROYED'));
  assert.equal(threadCount(), baseline);
  assert.equal(pool.state, 'closed');
  assert.deepEqual(await pool.close(), { clean: false }, 'after destroy: resolves with what destroy forced');
});

eachRuntime('Symbol.asyncDispose closes the pool', T, async (_t, runtime) => {
  const pool = new Pool({ worker: tasks, runtime, maxWorkers: 1 });
  assert.equal(await pool.run('add', [1, 2]), 3);
  await pool[Symbol.asyncDispose]();
  assert.equal(pool.state, 'closed');
  await rejectsCode(pool.run('add', [1, 2]), 'ERR_POOL_CLOSED');
  await rejectsCode(pool.ready(), 'ERR_POOL_CLOSED');
});

test('state is read-only from outside', () => {
  const pool = new Pool({ worker: tasks, maxWorkers: 1 });
  assert.throws(() => {
    pool.state = 'closed';
  }, TypeError);
  assert.equal(pool.state, 'running');
});

const spindle = JSON.stringify(new URL('../dist/index.js', import.meta.url).href);

eachRuntime('an idle pool does not keep the process alive', T, async (_t, runtime) => {
  const code = `
    const { Pool } = await import(${spindle});
    const pool = new Pool({ worker: ${JSON.stringify(tasksPath)}, runtime: '${runtime}', minWorkers: 2, maxWorkers: 2 });
    console.log(await pool.run('add', [1, 2]));
  `;
  const r = await runNode(['--input-type=module', '-e', code], { ms: 15_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '3');
});

eachRuntime('pending work keeps the process alive until it settles', T, async (_t, runtime) => {
  const code = `
    const { Pool } = await import(${spindle});
    const pool = new Pool({ worker: ${JSON.stringify(tasksPath)}, runtime: '${runtime}', maxWorkers: 1 });
    pool.run('sleep', [300]).then((v) => console.log('done', v));
    pool.ready().then(() => console.log('ready'));
  `;
  const r = await runNode(['--input-type=module', '-e', code], { ms: 15_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').sort(), ['done 300', 'ready']);
});
