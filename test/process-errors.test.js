// Failures and bad input on the process runtime: the same coded errors as threads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool } from 'spindle';
import { childPids, fixture, rejectsCode, track, within } from './helpers.js';

const T = { timeout: 30_000 };
const tasks = fixture('process/tasks.js');
const processPool = (t, options) => track(t, new Pool({ worker: tasks, runtime: 'process', ...options }));

test('a thrown error is rebuilt with name, message, stack, code, cause and fields', T, async (t) => {
  const pool = processPool(t, { maxWorkers: 1 });
  const typed = await pool.run('fail', ['type']).catch((e) => e);
  assert.ok(typed instanceof TypeError);
  assert.equal(typed.message, 'bad type');
  assert.match(typed.stack, /fixtures\/pool\/tasks\.js/);
  const coded = await pool.run('fail', ['coded']).catch((e) => e);
  assert.equal(coded.code, 'E_CUSTOM');
  assert.deepEqual(coded.detail, { n: 1 });
  assert.ok(coded.cause instanceof RangeError);
  const custom = await pool.run('fail', ['custom']).catch((e) => e);
  assert.equal(custom.name, 'MyError');
  const aggregate = await pool.run('fail', ['aggregate']).catch((e) => e);
  assert.deepEqual(aggregate.errors.map((e) => e.message), ['a', 'b']);
  assert.equal((await pool.run('fail', ['reject']).catch((e) => e)).message, 'async failure');
  const s = await rejectsCode(pool.run('fail', ['string']), 'ERR_TASK_NON_ERROR');
  assert.equal(s.value, 'just a string');
  const o = await rejectsCode(pool.run('fail', ['object']), 'ERR_TASK_NON_ERROR');
  assert.deepEqual(o.value, { reason: 42 });
  assert.equal(pool.stats.failed, 7);
  assert.equal(await pool.run('add', [1, 1]), 2, 'the worker keeps serving');
});

test('an unknown task name is a coded error listing the tasks, before and after load', T, async (t) => {
  const pool = processPool(t, { maxWorkers: 1 });
  const early = await rejectsCode(pool.run('nope'), 'ERR_TASK_NOT_FOUND');
  assert.match(early.message, /'add'/);
  await rejectsCode(pool.run('nope'), 'ERR_TASK_NOT_FOUND');
  assert.equal(await pool.run('add', [1, 2]), 3);
});

test('arguments that cannot be cloned reject only their own task; results likewise', T, async (t) => {
  const pool = processPool(t, { maxWorkers: 1 });
  const good = Array.from({ length: 10 }, (_, i) => pool.run('echo', [i]));
  const bad = pool.run('echo', [() => 1]);
  const sym = pool.run('echo', [{ s: Symbol('x') }]);
  const shared = pool.run('echo', [new SharedArrayBuffer(4)]);
  await rejectsCode(bad, 'ERR_TASK_NOT_CLONEABLE');
  await rejectsCode(sym, 'ERR_TASK_NOT_CLONEABLE');
  await rejectsCode(shared, 'ERR_TASK_NOT_CLONEABLE');
  assert.deepEqual(await Promise.all(good), Array.from({ length: 10 }, (_, i) => i));
  await rejectsCode(pool.run('unclonable'), 'ERR_RESULT_NOT_CLONEABLE');
  assert.equal(await pool.run('add', [2, 2]), 4);
});

for (const [file, what] of [
  ['pool/bad-syntax.js', 'a syntax error'],
  ['pool/throws-at-load.js', 'a throw at import'],
  ['pool/exits-at-load.js', 'process.exit at import'],
]) {
  test(`a module with ${what} rejects with ERR_WORKER_LOAD and does not respawn in a loop`, T, async (t) => {
    const pool = track(t, new Pool({ worker: fixture(file), runtime: 'process', maxWorkers: 2 }));
    let created = 0;
    pool.on('workerCreate', () => created++);
    const settled = await within(Promise.allSettled(Array.from({ length: 5 }, () => pool.run('anything'))), 10_000, 'load');
    for (const r of settled) assert.equal(r.reason?.code, 'ERR_WORKER_LOAD');
    await rejectsCode(pool.ready(), 'ERR_WORKER_LOAD');
    assert.ok(created <= 2, `created ${created} workers`);
    await pool.destroy();
    assert.deepEqual(childPids(), []);
  });
}

test('options of one runtime given to another are rejected, naming the option', () => {
  const cases = [
    [{ worker: tasks, resourceLimits: { maxOldGenerationSizeMb: 64 }, runtime: 'process' }, 'resourceLimits', /'thread'/],
    [{ worker: tasks, cwd: '.' }, 'cwd', /'process'/],
    [{ worker: tasks, stdio: 'prefix' }, 'stdio', /'process'/],
    [{ worker: tasks, killGrace: 100, runtime: 'thread' }, 'killGrace', /'process'/],
    [{ worker: tasks, runtime: 'process', stdio: 'loud' }, 'stdio', /'inherit', 'prefix', 'ignore'/],
    [{ worker: tasks, runtime: 'process', killGrace: -1 }, 'killGrace'],
    [{ worker: tasks, runtime: 'process', cwd: '/no/such/dir' }, 'cwd', /existing directory/],
    [{ command: [] }, 'command'],
    [{ command: 'python3 worker.py' }, 'command'],
    [{ command: ['python3'], worker: tasks }, 'worker'],
    [{ command: ['python3'], runtime: 'thread' }, 'runtime'],
    [{ command: ['python3'], execArgv: ['--no-warnings'] }, 'execArgv'],
    [{ command: ['python3'], workerData: 1 }, 'workerData'],
    [{ command: ['python3'], recycle: { maxHeapMb: 100 } }, 'recycle.maxHeapMb'],
  ];
  for (const [options, option, message] of cases) {
    assert.throws(
      () => new Pool(options),
      (e) => {
        assert.equal(e.code, 'ERR_INVALID_OPTION', `${JSON.stringify(options)}: ${e.message}`);
        assert.equal(e.option, option, e.message);
        assert.match(e.message, /^Expected `/);
        if (message) assert.match(e.message, message);
        return true;
      },
    );
  }
});
