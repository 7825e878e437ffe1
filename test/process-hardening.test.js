// Process-runtime defects found by trying to break it (issue 11): a task
// module whose top-level await never settles.
import assert from 'node:assert/strict';
import { Pool } from 'spindle';
import { childPids, eachRuntime, fixture, rejectsCode, track, within } from './helpers.js';

const T = { timeout: 30_000 };

eachRuntime(
  'a module whose top-level await can never settle fails the pool at once with ERR_WORKER_LOAD',
  T,
  async (t, runtime) => {
    const pool = track(t, new Pool({ worker: fixture('pool/tla-never.js'), runtime, maxWorkers: 1 }));
    const run = pool.run('add', [1, 2]);
    const e = await rejectsCode(within(pool.ready(), 10_000, 'ready'), 'ERR_WORKER_LOAD');
    // a thread ends with Node's own exit code for it; a process says why
    assert.match(e.message, runtime === 'thread' ? /exited with code 13/ : /top-level await never settles/);
    await rejectsCode(within(run, 10_000, 'run'), 'ERR_WORKER_LOAD');
  },
);

eachRuntime(
  'a module whose top-level await is held open past loadTimeout fails with ERR_WORKER_LOAD',
  T,
  async (t, runtime) => {
    const pool = track(
      t,
      new Pool({ worker: fixture('pool/tla-timer.js'), runtime, maxWorkers: 1, loadTimeout: '300ms' }),
    );
    const run = pool.run('add', [1, 2]);
    const e = await rejectsCode(within(pool.ready(), 10_000, 'ready'), 'ERR_WORKER_LOAD');
    assert.match(e.cause.message, /did not finish loading it within 300ms \(loadTimeout\)/);
    await rejectsCode(within(run, 10_000, 'run'), 'ERR_WORKER_LOAD');
    await rejectsCode(pool.run('add', [1, 2]), 'ERR_WORKER_LOAD');
    await within(pool.close(), 10_000, 'close');
    assert.deepEqual(childPids(), [], 'the stuck worker was stopped');
  },
);
