import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool, SpindleError } from 'spindle';
import { eachRuntime, fixture, rejectsCode, track, within } from './helpers.js';

const T = { timeout: 30_000 };
const tasks = fixture('pool/tasks.js');

eachRuntime('a thrown error is rebuilt with name, message, stack, code, cause and fields', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker: tasks, runtime, maxWorkers: 1 }));
  const typed = await pool.run('fail', ['type']).catch((e) => e);
  assert.ok(typed instanceof TypeError);
  assert.equal(typed.message, 'bad type');
  assert.match(typed.stack, /fixtures\/pool\/tasks\.js/);

  const coded = await pool.run('fail', ['coded']).catch((e) => e);
  assert.equal(coded.code, 'E_CUSTOM');
  assert.deepEqual(coded.detail, { n: 1 });
  assert.ok(coded.cause instanceof RangeError);
  assert.equal(coded.cause.message, 'root cause');

  const custom = await pool.run('fail', ['custom']).catch((e) => e);
  assert.equal(custom.name, 'MyError');
  assert.equal(custom.message, 'mine');

  const rejected = await pool.run('fail', ['reject']).catch((e) => e);
  assert.equal(rejected.message, 'async failure');

  const aggregate = await pool.run('fail', ['aggregate']).catch((e) => e);
  assert.ok(aggregate instanceof AggregateError);
  assert.deepEqual(
    aggregate.errors.map((e) => e.message),
    ['a', 'b'],
  );
  assert.equal(pool.stats.failed, 5);
  assert.equal(await pool.run('add', [1, 1]), 2, 'the worker keeps serving');
});

eachRuntime('a thrown non-Error is wrapped with a code and keeps the value', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker: tasks, runtime, maxWorkers: 1 }));
  const s = await rejectsCode(pool.run('fail', ['string']), 'ERR_TASK_NON_ERROR_THROWN');
  assert.equal(s.value, 'just a string');
  assert.ok(s instanceof SpindleError);
  const o = await rejectsCode(pool.run('fail', ['object']), 'ERR_TASK_NON_ERROR_THROWN');
  assert.deepEqual(o.value, { reason: 42 });
});

eachRuntime('an unknown task name is a coded error listing the tasks, before and after load', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker: tasks, runtime, maxWorkers: 1 }));
  const early = await rejectsCode(pool.run('nope'), 'ERR_TASK_NOT_FOUND'); // answered by the worker
  assert.match(early.message, /'add'/);
  const late = await rejectsCode(pool.run('nope'), 'ERR_TASK_NOT_FOUND'); // answered at once
  assert.equal(late.task, 'nope');
  assert.equal(await pool.run('add', [1, 2]), 3);
});

test('arguments that cannot be cloned reject only their own task', T, async (t) => {
  const pool = track(t, new Pool({ worker: tasks, maxWorkers: 1 }));
  const good = Array.from({ length: 10 }, (_, i) => pool.run('echo', [i]));
  const bad = pool.run('echo', [() => 1]);
  const sym = pool.run('echo', [Symbol('x')]);
  const e = await rejectsCode(bad, 'ERR_TASK_NOT_CLONEABLE');
  assert.equal(e.cause.name, 'DataCloneError');
  await rejectsCode(sym, 'ERR_TASK_NOT_CLONEABLE');
  assert.deepEqual(
    await Promise.all(good),
    Array.from({ length: 10 }, (_, i) => i),
  );
  class Point {
    constructor() {
      this.x = 1;
    }
    norm() {
      return 1;
    }
  }
  assert.deepEqual(await pool.run('echo', [new Point()]), { x: 1 }, 'class instances arrive as plain objects');
});

eachRuntime('a result that cannot be cloned is a coded error; the worker survives', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker: tasks, runtime, maxWorkers: 1 }));
  await rejectsCode(pool.run('unclonable'), 'ERR_TASK_RESULT_NOT_CLONEABLE');
  assert.equal(await pool.run('add', [2, 2]), 4);
});

test('a missing worker file throws at construction', () => {
  assert.throws(
    () => new Pool({ worker: fixture('pool/does-not-exist.js') }),
    (e) => e.code === 'ERR_WORKER_NOT_FOUND' && e.path.endsWith('does-not-exist.js'),
  );
});

for (const [file, what] of [
  ['pool/bad-syntax.js', 'a syntax error'],
  ['pool/throws-at-load.js', 'a throw at import'],
  ['pool/exits-at-load.js', 'process.exit at import'],
]) {
  eachRuntime(
    `a module with ${what} rejects with ERR_WORKER_LOAD and does not respawn in a loop`,
    T,
    async (t, runtime) => {
      const pool = track(t, new Pool({ worker: fixture(file), runtime, maxWorkers: 2 }));
      let created = 0;
      pool.on('workerCreate', () => created++);
      const runs = Array.from({ length: 5 }, () => pool.run('anything'));
      const settled = await within(Promise.allSettled(runs), 10_000, 'load failure');
      for (const r of settled) assert.equal(r.reason?.code, 'ERR_WORKER_LOAD');
      await rejectsCode(pool.ready(), 'ERR_WORKER_LOAD');
      await rejectsCode(pool.run('anything'), 'ERR_WORKER_LOAD');
      assert.ok(created <= 2, `created ${created} workers`);
      await pool.destroy();
    },
  );
}

eachRuntime('run() after close() or destroy() rejects with ERR_POOL_CLOSED', T, async (_t, runtime) => {
  const a = new Pool({ worker: tasks, runtime });
  await a.close();
  await rejectsCode(a.run('add', [1, 2]), 'ERR_POOL_CLOSED');
  const b = new Pool({ worker: tasks, runtime });
  await b.destroy();
  await rejectsCode(b.run('add', [1, 2]), 'ERR_POOL_CLOSED');
});

test('bad options name the option, the expectation and the value', () => {
  // (`{}` is a pool for inline functions only: pool-inline.test.js)
  const cases = [
    [{ worker: 42 }, 'worker'],
    [{ worker: new URL('https://example.com/x.js') }, 'worker'],
    [{ worker: tasks, maxWorkers: -1 }, 'maxWorkers', /-1 \(number\)/],
    [{ worker: tasks, maxWorkers: 'many' }, 'maxWorkers', /'auto'/],
    [{ worker: tasks, minWorkers: 1.5 }, 'minWorkers'],
    [{ worker: tasks, minWorkers: 4, maxWorkers: 2 }, 'minWorkers'],
    [{ worker: tasks, idleTimeout: -5 }, 'idleTimeout'],
    [{ worker: tasks, maxQueue: 'lots' }, 'maxQueue'],
    [{ worker: tasks, concurrency: 0 }, 'concurrency'],
    [{ worker: tasks, taskTimeout: -1 }, 'taskTimeout'],
    [{ worker: tasks, taskTimeout: 3e9 }, 'taskTimeout', /at most 2147483647 ms/],
    [{ worker: tasks, runtime: 'fiber' }, 'runtime', /'thread', 'process'/],
    [{ worker: tasks, recycle: { afterTasks: 0 } }, 'recycle.afterTasks'],
    [{ worker: tasks, recycle: { often: 1 } }, 'often', /in `recycle`/],
    [{ worker: tasks, env: { A: 1 } }, 'env.A'],
    [{ worker: tasks, extendEnv: 'no' }, 'extendEnv'],
    [{ worker: tasks, execArgv: '--inspect' }, 'execArgv'],
    [{ worker: tasks, maxWorker: 2 }, 'maxWorker', /Unknown option `maxWorker` in `options`/],
  ];
  for (const [options, option, message] of cases) {
    assert.throws(
      () => new Pool(options),
      (e) => {
        assert.equal(e.code, 'ERR_INVALID_OPTION', `${JSON.stringify(options)}: ${e.message}`);
        assert.equal(e.option, option);
        assert.match(e.message, /^(Expected|Unknown option) `/);
        if (message) assert.match(e.message, message);
        return true;
      },
    );
  }
});

test('bad run() input rejects (never throws) with a coded error', T, async (t) => {
  const pool = track(t, new Pool({ worker: tasks, maxWorkers: 1 }));
  await rejectsCode(pool.run(42), 'ERR_INVALID_OPTION');
  await rejectsCode(pool.run('add', 'not-an-array'), 'ERR_INVALID_OPTION');
  await rejectsCode(pool.run('add', [1, 2], { timeout: -1 }), 'ERR_INVALID_OPTION');
  await rejectsCode(pool.run('add', [1, 2], { signal: 'x' }), 'ERR_INVALID_OPTION');
  await rejectsCode(pool.run('add', [1, 2], { priority: Number.NaN }), 'ERR_INVALID_OPTION');
  await rejectsCode(pool.run('add', [1, 2], { transfer: 'x' }), 'ERR_INVALID_OPTION');
  assert.equal(pool.stats.workers, 0, 'no worker was started for rejected input');
});
