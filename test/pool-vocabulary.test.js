// The pool speaks the project's one vocabulary (docs/conventions.md, issue
// 10): exit events of one shape, `workerId` a constant, `env` merged over
// process.env with `extendEnv: false` for an empty one, paths as strings or
// file: URLs, and 'error' events never dropped.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Pool } from 'spindle';
import { workerId } from 'spindle/worker';
import { eachRuntime, fixture, track, within } from './helpers.js';

const T = { timeout: 30_000 };
const tasks = fixture('pool/tasks.js');

eachRuntime(
  'workerExit events have one shape: { id, pid, exitCode, signal, expected, reason, detail }',
  T,
  async (_t, runtime) => {
    const pool = new Pool({ worker: tasks, runtime, maxWorkers: 1 });
    const exits = [];
    pool.on('workerExit', (e) => exits.push(e));
    assert.equal(await pool.run('whoami'), 1, 'pool worker ids start at 1');
    await pool.close();
    assert.equal(exits.length, 1);
    const [e] = exits;
    assert.deepEqual(Object.keys(e).sort(), ['detail', 'exitCode', 'expected', 'id', 'pid', 'reason', 'signal']);
    assert.equal(e.id, 1);
    if (runtime === 'thread') assert.equal(e.pid, undefined, 'a thread has no pid');
    else assert.ok(Number.isInteger(e.pid) && e.pid > 0, `pid ${e.pid}`);
    assert.equal(e.signal, null);
    assert.equal(e.expected, true);
    assert.equal(e.reason, 'exit');
  },
);

test('workerId is a constant: the pool worker id inside a worker, undefined outside one', T, async (t) => {
  assert.equal(workerId, undefined);
  const pool = track(t, new Pool({ worker: tasks, maxWorkers: 2, minWorkers: 2 }));
  await pool.ready();
  const ids = new Set(await Promise.all(Array.from({ length: 20 }, () => pool.run('whoami'))));
  for (const id of ids) assert.ok(id === 1 || id === 2, `id ${id}`);
});

eachRuntime(
  'env is merged over process.env; undefined removes a variable; extendEnv: false starts empty',
  T,
  async (t, runtime) => {
    const merged = track(
      t,
      new Pool({ worker: tasks, runtime, maxWorkers: 1, env: { SPINDLE_VOCAB: 'yes', HOME: undefined } }),
    );
    assert.equal(await merged.run('env', ['SPINDLE_VOCAB']), 'yes');
    assert.equal(await merged.run('env', ['PATH']), process.env.PATH);
    assert.equal(await merged.run('env', ['HOME']), undefined);
    const alone = track(t, new Pool({ worker: tasks, runtime, maxWorkers: 1, env: { ONLY: '1' }, extendEnv: false }));
    assert.equal(await alone.run('env', ['ONLY']), '1');
    assert.equal(await alone.run('env', ['PATH']), undefined);
  },
);

test('env values are never shown in errors, not even one Node would refuse (a NUL byte)', () => {
  for (const [env, option] of [
    [{ TOKEN: 's3cr3t\0x' }, 'env.TOKEN'],
    [{ 'A=B': 'x' }, 'env'],
    [{ '': 'x' }, 'env'],
  ]) {
    for (const runtime of ['thread', 'process']) {
      assert.throws(
        () => new Pool({ worker: tasks, runtime, env }),
        (e) => e.code === 'ERR_INVALID_OPTION' && e.option === option && !e.message.includes('s3cr3t'),
      );
    }
  }
});

test('env values are never shown in errors: the variable and its type are', () => {
  assert.throws(
    () => new Pool({ worker: tasks, env: { API_TOKEN: 123456789 } }),
    (e) => {
      assert.equal(e.code, 'ERR_INVALID_OPTION');
      assert.equal(e.option, 'env.API_TOKEN');
      assert.doesNotMatch(e.message, /123456789/);
      return true;
    },
  );
});

test('worker and cwd accept a path or a file: URL', T, async (t) => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'spindle-cwd-')));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const worker = fixture('process/tasks.js');
  for (const cwd of [dir, pathToFileURL(dir), pathToFileURL(dir).href]) {
    const pool = track(t, new Pool({ worker: worker.href, runtime: 'process', maxWorkers: 1, cwd }));
    assert.equal(await pool.run('cwd'), dir);
    await pool.close();
  }
  for (const cwd of [new URL('https://example.com/'), 'file://host/x', join(dir, 'missing'), '']) {
    assert.throws(
      () => new Pool({ worker, runtime: 'process', cwd }),
      (e) => e.option === 'cwd',
    );
  }
  for (const w of [new URL('https://example.com/x.js'), 'file://host/x.js', 'file:///a%2Fb.js', dir]) {
    assert.throws(
      () => new Pool({ worker: w }),
      (e) => e.code === 'ERR_INVALID_OPTION' && e.option === 'worker',
    );
  }
});

eachRuntime('an error event nobody listens to becomes a process warning, never dropped', T, async (t, runtime) => {
  const warned = new Promise((resolve) => {
    const onWarning = (w) => {
      if (w.code !== 'ERR_WORKER_CRASHED') return;
      process.off('warning', onWarning);
      resolve(w);
    };
    process.on('warning', onWarning);
  });
  const pool = track(t, new Pool({ worker: fixture('pool/crash-idle.js'), runtime, maxWorkers: 1, minWorkers: 1 }));
  const w = await within(warned, 10_000, 'warning');
  assert.equal(w.name, 'WorkerCrashedError');
  assert.match(w.message, /while idle/);
  assert.equal(pool.listenerCount('error'), 0);
});

test('a throwing onProgress callback with no error listener is a warning too', T, async (t) => {
  const pool = track(t, new Pool({ worker: fixture('queue/tasks.js'), maxWorkers: 1 }));
  const warned = once(process, 'warning');
  const progressed = pool.run('reportProgress', [1], {
    onProgress: () => {
      throw new Error('callback bug');
    },
  });
  const [w] = await within(warned, 10_000, 'warning');
  assert.equal(w.message, 'callback bug');
  assert.equal(await progressed, 'done');
});
