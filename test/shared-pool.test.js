import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool } from 'spindle';
import { Channel, Mutex } from 'spindle/shared';
import { track } from './helpers.js';

const worker = new URL('./fixtures/shared/pool-tasks.js', import.meta.url);
const T = { timeout: 60_000 };

test('a Mutex passed to pool.run() guards memory across the pool workers', T, async (t) => {
  const pool = track(t, new Pool({ worker, maxWorkers: 2 }));
  const mutex = new Mutex();
  const counter = new SharedArrayBuffer(8);
  const done = await Promise.all([1, 2, 3, 4].map(() => pool.run('increment', [mutex, counter, 10_000])));
  assert.deepEqual(done, [10_000, 10_000, 10_000, 10_000]);
  assert.equal(new Int32Array(counter)[0], 40_000);
  assert.equal(mutex.locked, false);
});

test('a Channel passed to pool.run() carries records back to the main thread', T, async (t) => {
  const pool = track(t, new Pool({ worker, maxWorkers: 2 }));
  const channel = new Channel({ capacity: 16 });
  const producers = Promise.all([0, 1, 2].map((p) => pool.run('produce', [channel, p * 1000, 500])));
  const got = [];
  const consuming = (async () => {
    for await (const v of channel.values({ signal: AbortSignal.timeout(30_000) })) got.push(v);
  })();
  await producers;
  channel.close();
  await consuming;
  assert.deepEqual(
    got.sort((a, b) => a - b),
    [0, 1, 2].flatMap((p) => Array.from({ length: 500 }, (_, i) => p * 1000 + i)),
  );
});

test('a Channel inside the pool workerData reaches every worker', T, async (t) => {
  const jobs = new Channel({ capacity: 4 });
  const pool = track(t, new Pool({ worker, maxWorkers: 1, workerData: { jobs } }));
  assert.equal(await pool.run('greet'), 'sent');
  assert.equal(await jobs.receive({ timeout: 20_000 }), 'hello from workerData');
});

// Arguments and workerData that are spindle primitives arrive as their
// class, without from(): the thread entry revives them.

test('primitives passed to pool.run() arrive as their own class', T, async (t) => {
  const pool = track(t, new Pool({ worker, maxWorkers: 1 }));
  assert.deepEqual(await pool.run('kinds', [new Mutex(), new Channel(), 5, { plain: true }]), [
    'Mutex',
    'Channel',
    'number',
    'Object',
  ]);
});

test('a primitive given as the pool workerData arrives as its own class', T, async (t) => {
  const pool = track(t, new Pool({ worker, maxWorkers: 1, workerData: new Mutex() }));
  assert.equal(await pool.run('workerDataKind'), 'Mutex');
});
