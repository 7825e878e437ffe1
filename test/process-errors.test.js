// Failures and bad input on the process runtime: the same coded errors as threads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool } from 'spindle';
import { fixture, rejectsCode, track } from './helpers.js';

const T = { timeout: 30_000 };
const tasks = fixture('process/tasks.js');
const processPool = (t, options) => track(t, new Pool({ worker: tasks, runtime: 'process', ...options }));

test('arguments that cannot be cloned reject only their own task; results likewise', T, async (t) => {
  const pool = processPool(t, { maxWorkers: 1 });
  const good = Array.from({ length: 10 }, (_, i) => pool.run('echo', [i]));
  const bad = pool.run('echo', [() => 1]);
  const sym = pool.run('echo', [{ s: Symbol('x') }]);
  const shared = pool.run('echo', [new SharedArrayBuffer(4)]);
  await rejectsCode(bad, 'ERR_TASK_NOT_CLONEABLE');
  await rejectsCode(sym, 'ERR_TASK_NOT_CLONEABLE');
  await rejectsCode(shared, 'ERR_TASK_NOT_CLONEABLE');
  assert.deepEqual(
    await Promise.all(good),
    Array.from({ length: 10 }, (_, i) => i),
  );
  await rejectsCode(pool.run('unclonable'), 'ERR_TASK_RESULT_NOT_CLONEABLE');
  assert.equal(await pool.run('add', [2, 2]), 4);
});

test('options of one runtime given to another are rejected, naming the option', () => {
  const cases = [
    [
      { worker: tasks, resourceLimits: { maxOldGenerationSizeMb: 64 }, runtime: 'process' },
      'resourceLimits',
      /'thread'/,
    ],
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
