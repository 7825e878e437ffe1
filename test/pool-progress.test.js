// progress() from spindle/worker reaches run()'s onProgress, in threads and processes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool } from '../dist/index.js';
import { progress } from '../dist/worker/index.js';
import { fixture, rejectsCode, track } from './helpers.js';

const tasks = fixture('queue/tasks.js');

for (const runtime of ['thread', 'process']) {
  test(`${runtime}: onProgress receives every progress() value, in order, before the result`, async (t) => {
    const pool = track(t, new Pool({ worker: tasks, runtime, maxWorkers: 1 }));
    const seen = [];
    const result = await pool.run('reportProgress', [5], { onProgress: (v) => seen.push(v) });
    assert.equal(result, 'done');
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
    // without onProgress the messages are dropped; a throwing callback harms nothing
    assert.equal(await pool.run('reportProgress', [2]), 'done');
    assert.equal(
      await pool.run('reportProgress', [2], {
        onProgress: () => {
          throw new Error('x');
        },
      }),
      'done',
    );
    assert.deepEqual(await pool.taskNames().then((n) => n.includes('reportProgress')), true);
  });
}

test('onProgress is validated; progress() outside a pool task does nothing', async (t) => {
  const pool = track(t, new Pool({ worker: tasks, maxWorkers: 1 }));
  await rejectsCode(pool.run('add', [1, 2], { onProgress: 5 }), 'ERR_INVALID_OPTION');
  progress(1);
});
