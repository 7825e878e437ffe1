// The pool's `setup` module (issue 16, for issue 13's tracer providers): run
// in every worker before the task module, workers started later included;
// its function is awaited before the worker is ready; its failure is
// ERR_WORKER_LOAD naming it; the teardown it returns runs when the pool stops
// a worker (forced after killGrace; a failure is ERR_WORKER_TEARDOWN).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Pool } from 'spindle';
import { eachRuntime, fixture, rejectsCode, track, within } from './helpers.js';

const T = { timeout: 30_000 };
const worker = fixture('pool/setup/tasks.js');
const setup = fixture('pool/setup/setup.js');

function tempLog(t) {
  const dir = mkdtempSync(join(tmpdir(), 'spindle-setup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'teardown.log');
}

const lines = (file) => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number).sort();
  } catch {
    return [];
  }
};

eachRuntime(
  'setup runs in each worker before the task module, workers started later included',
  T,
  async (t, runtime) => {
    const pool = track(
      t,
      new Pool({ worker, setup, runtime, maxWorkers: 2, workerData: ({ workerId }) => ({ shard: workerId * 10 }) }),
    );
    const ready = [];
    pool.on('workerReady', (e) => ready.push(e.id));
    const first = await pool.run('seen');
    assert.deepEqual(
      { workerId: first.workerId, fromWorker: first.fromWorker, workerData: first.workerData },
      { workerId: 1, fromWorker: 1, workerData: { shard: 10 } },
      'the task module saw at import what the setup function left',
    );
    // a second worker, started later (under load), runs it too
    const outcomes = await pool.broadcast('seen');
    for (const o of outcomes) assert.equal(o.value?.workerId, o.workerId);
    const spread = await Promise.all(Array.from({ length: 40 }, () => pool.run('seen')));
    for (const s of spread) assert.deepEqual(s.workerData, { shard: s.workerId * 10 });
    assert.ok(ready.includes(1));
  },
);

eachRuntime('the setup function is awaited before the worker is ready', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker, setup, runtime, minWorkers: 1 }));
  const [event] = await within(once(pool, 'workerReady'), 20_000, 'workerReady');
  assert.equal(event.id, 1);
  const seen = await pool.run('seen');
  assert.ok(seen !== null && seen.at > 0, 'setup had finished when the task module was imported');
});

eachRuntime(
  'a setup that throws (at import or in its function) is ERR_WORKER_LOAD naming it',
  T,
  async (t, runtime) => {
    for (const name of ['throws.js', 'throws-at-import.js']) {
      const module = fixture(`pool/setup/${name}`);
      const pool = track(t, new Pool({ worker, setup: module, runtime }));
      const err = await rejectsCode(pool.run('echo', [1]), 'ERR_WORKER_LOAD');
      assert.equal(err.url, module.href);
      assert.match(err.message, /^The setup module file:.*failed to load/);
      assert.match(err.cause.message, name === 'throws.js' ? /no tracer for you/ : /setup import failed/);
      await rejectsCode(pool.ready(), 'ERR_WORKER_LOAD');
    }
  },
);

test('a missing setup module is ERR_WORKER_NOT_FOUND; setup is refused with `command`', () => {
  assert.throws(
    () => new Pool({ worker, setup: fileURLToPath(new URL('./nope.js', setup)) }),
    (e) => e.code === 'ERR_WORKER_NOT_FOUND' && /setup module/.test(e.message),
  );
  assert.throws(
    () => new Pool({ command: [process.execPath, '-e', ''], setup }),
    (e) => e.code === 'ERR_INVALID_OPTION' && e.option === 'setup',
  );
  assert.throws(
    () => new Pool({ worker, killGrace: '1s' }),
    (e) => e.code === 'ERR_INVALID_OPTION' && e.option === 'killGrace',
    'a thread pool takes killGrace only for a teardown',
  );
  new Pool({ worker, setup, killGrace: '1s' }).destroy();
});

eachRuntime(
  'a setup module without a function is imported for its side effects (CommonJS too)',
  T,
  async (t, runtime) => {
    const pool = track(t, new Pool({ worker, setup: fixture('pool/setup/side-effect.cjs'), runtime }));
    assert.equal((await pool.run('seen')).workerId, 'side-effect');
  },
);

eachRuntime(
  'the teardown runs once per worker when the pool closes, and when an idle worker is stopped',
  T,
  async (t, runtime) => {
    const log = tempLog(t);
    const pool = new Pool({ worker, setup, runtime, minWorkers: 2, maxWorkers: 2, workerData: { teardownLog: log } });
    await pool.ready();
    await pool.broadcast('echo', [1]);
    assert.deepEqual(lines(log), []);
    assert.deepEqual(await pool.close(), { clean: true });
    assert.deepEqual(lines(log), [1, 2]);

    const idleLog = tempLog(t);
    const idle = track(t, new Pool({ worker, setup, runtime, idleTimeout: 50, workerData: { teardownLog: idleLog } }));
    const exited = once(idle, 'workerExit');
    await idle.run('echo', [1]);
    const [exit] = await within(exited, 20_000, 'idle worker exit');
    assert.equal(exit.expected, true);
    assert.deepEqual(lines(idleLog), [1]);
  },
);

eachRuntime('a teardown that throws is ERR_WORKER_TEARDOWN on the pool’s error event', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker, setup: fixture('pool/setup/teardown-throws.js'), runtime }));
  const errors = [];
  pool.on('error', (e) => errors.push(e));
  await pool.run('echo', [1]);
  assert.deepEqual(await pool.close(), { clean: true });
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'ERR_WORKER_TEARDOWN');
  assert.equal(errors[0].workerId, 1);
  assert.match(errors[0].cause.message, /flush failed/);
});

eachRuntime('a teardown that never ends is forced after killGrace', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker, setup: fixture('pool/setup/teardown-hangs.js'), runtime, killGrace: 200 }));
  const exits = [];
  pool.on('workerExit', (e) => exits.push(e));
  await pool.run('echo', [1]);
  assert.deepEqual(await within(pool.close(), 20_000, 'close'), { clean: true });
  assert.equal(exits.length, 1);
  assert.equal(exits[0].expected, true);
  if (runtime === 'thread') assert.match(exits[0].detail, /teardown ran longer than killGrace/);
  else assert.equal(exits[0].signal, 'SIGTERM');
});
