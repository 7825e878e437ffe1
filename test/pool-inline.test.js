// Inline functions (issue 16, workerpool's pool.exec(fn, args)): run(fn, args)
// sends a self-contained function's source, compiled once per worker; what
// cannot be sent is refused up front; a pool without a task module runs them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool } from 'spindle';
import { eachRuntime, fixture, rejectsCode, track } from './helpers.js';

const T = { timeout: 30_000 };

eachRuntime(
  'run(fn, args) runs a self-contained function; a pool needs no task module for it',
  T,
  async (t, runtime) => {
    const pool = track(t, new Pool({ runtime, maxWorkers: 1 }));
    assert.equal(await pool.run((a, b) => a * b, [6, 7]), 42);
    assert.equal(
      await pool.run(
        function fib(n) {
          return n < 2 ? n : fib(n - 1) + fib(n - 2);
        },
        [15],
      ),
      610,
    );
    assert.equal(await pool.run(async () => (await import('node:os')).platform()), process.platform);
    const workerId = await pool.run(async () => (await import('spindle/worker')).workerId);
    assert.equal(workerId, 1, 'packages resolve as from where spindle is installed');
    assert.deepEqual(await pool.taskNames(), []);
    await rejectsCode(pool.run('add', [1, 2]), 'ERR_TASK_NOT_FOUND');
    assert.match(String(pool), /inline functions/);
  },
);

eachRuntime('a function is compiled once per worker and kept', T, async (t, runtime) => {
  const pool = track(t, new Pool({ runtime, maxWorkers: 1 }));
  function calls() {
    calls.n = (calls.n ?? 0) + 1;
    return calls.n;
  }
  assert.deepEqual([await pool.run(calls), await pool.run(calls), await pool.run(calls)], [1, 2, 3]);
});

eachRuntime('its limits: no closures, strict mode, errors and options as for any task', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker: fixture('pool/tasks.js'), runtime, maxWorkers: 1 }));
  const outer = 5;
  const closure = await pool.run(() => outer).catch((e) => e);
  assert.equal(closure.name, 'ReferenceError', 'a variable of the caller’s scope is not there');
  assert.equal(await pool.run(() => typeof this), 'undefined');
  const sloppy = await pool
    .run(() => {
      Object.freeze({ a: 1 }).a = 2;
    })
    .catch((e) => e);
  assert.equal(sloppy.name, 'TypeError', 'strict mode: writing a frozen object throws');
  const thrown = await pool
    .run(() => {
      throw Object.assign(new RangeError('too big'), { code: 'E_BIG' });
    })
    .catch((e) => e);
  assert.ok(thrown instanceof RangeError);
  assert.equal(thrown.code, 'E_BIG');
  const timedOut = await rejectsCode(
    pool.run(
      function slow() {
        return new Promise((r) => setTimeout(r, 10_000));
      },
      [],
      { timeout: 50 },
    ),
    'ERR_TASK_TIMEOUT',
  );
  assert.match(timedOut.message, /<inline slow>/, 'errors name the function');
  // alongside the module's own tasks
  assert.equal(await pool.run('add', [1, 2]), 3);
});

test(
  'what cannot be sent is refused up front (rejects, never throws): methods, classes, bound and native functions',
  T,
  async (t) => {
    const pool = track(t, new Pool({ maxWorkers: 1 }));
    const refused = [
      { m() {} }.m,
      { async m() {} }.m,
      class A {},
      function f() {}.bind(null),
      Math.max,
      new Proxy(() => 1, {}),
    ];
    for (const fn of refused) {
      const err = await rejectsCode(pool.run(fn), 'ERR_INVALID_OPTION');
      assert.equal(err.option, 'fn');
    }
    await rejectsCode(
      pool.run(() => 1, 'not-an-array'),
      'ERR_INVALID_OPTION',
    );
    assert.equal(pool.stats.workers, 0, 'nothing was started for refused input');
    const command = track(t, new Pool({ command: [process.execPath, '-e', ''] }));
    assert.equal(
      (
        await rejectsCode(
          command.run(() => 1),
          'ERR_INVALID_OPTION',
        )
      ).option,
      'fn',
    );
    await rejectsCode(
      command.broadcast(() => 1),
      'ERR_INVALID_OPTION',
    );
  },
);

test('a module export cannot take an inline function’s name', T, async (t) => {
  const pool = track(t, new Pool({ worker: fixture('pool/broadcast.js'), maxWorkers: 1 }));
  assert.ok(!(await pool.taskNames()).includes('<inline shadow>'));
  assert.equal(
    await pool.run(function shadow() {
      return 'inline';
    }),
    'inline',
  );
});

test('with code generation from strings disallowed in the workers, the call rejects with EvalError', T, async (t) => {
  const pool = track(
    t,
    new Pool({ runtime: 'process', maxWorkers: 1, execArgv: ['--disallow-code-generation-from-strings'] }),
  );
  const err = await pool.run(() => 1).catch((e) => e);
  assert.equal(err.name, 'EvalError');
});
