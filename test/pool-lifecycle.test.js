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
  const runs = Array.from({ length: 100 }, (_, i) => pool.run('sleep', [i % 3]));
  const closing = pool.close();
  await rejectsCode(pool.run('echo', [1]), 'ERR_POOL_CLOSED');
  await within(closing, 20_000, 'close');
  assert.equal((await Promise.all(runs)).length, 100);
  assert.equal(pool.close(), closing, 'close() is idempotent');
  assert.equal(threadCount(), baseline, 'no worker thread is left');
  assert.deepEqual(childPids(), [], 'no worker process is left');
});

test('close({ timeout }) destroys what is left and rejects with ERR_POOL_CLOSE_TIMEOUT', T, async () => {
  const baseline = threadCount();
  const pool = new Pool({ worker: tasks, maxWorkers: 1 });
  const started = shared(1);
  const hung = pool.run('forever', [started]).catch((e) => e);
  const queued = pool.run('echo', [1]).catch((e) => e);
  await waitAtLeast(started, 0, 1);
  await rejectsCode(within(pool.close({ timeout: 100 }), 10_000, 'close'), 'ERR_POOL_CLOSE_TIMEOUT');
  assert.equal((await hung).code, 'ERR_POOL_DESTROYED');
  assert.equal((await queued).code, 'ERR_POOL_DESTROYED');
  assert.equal(threadCount(), baseline);
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
  await pool.close(); // after destroy: resolves, nothing left to do
});

eachRuntime('Symbol.asyncDispose closes the pool', T, async (_t, runtime) => {
  const pool = new Pool({ worker: tasks, runtime, maxWorkers: 1 });
  assert.equal(await pool.run('add', [1, 2]), 3);
  await pool[Symbol.asyncDispose]();
  await rejectsCode(pool.run('add', [1, 2]), 'ERR_POOL_CLOSED');
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
