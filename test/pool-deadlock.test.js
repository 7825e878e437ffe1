// A pool whose tasks wait on each other through spindle/shared primitives,
// with fewer workers than blocking tasks, hangs; the pool says so (issue 11,
// item 13): a 'deadlock' event naming the tasks, or a process warning when
// nobody listens.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { Pool } from 'spindle';
import { Latch } from 'spindle/shared';
import { fixture, track, within } from './helpers.js';

const T = { timeout: 60_000 };
const worker = fixture('pool/deadlock.js');

for (const consumer of ['consume', 'consumeAsync']) {
  test(
    `every worker blocked in '${consumer}' while the producer waits: a 'deadlock' event names the tasks`,
    T,
    async (t) => {
      const pool = track(t, new Pool({ worker, maxWorkers: 2 }));
      const latch = new Latch(1);
      const consumers = [pool.run(consumer, [latch]), pool.run(consumer, [latch])];
      const producer = pool.run('produce', [latch]);
      const [event] = await within(once(pool, 'deadlock'), 20_000, "'deadlock' event");
      assert.deepEqual(event.workers.sort(), [1, 2]);
      assert.deepEqual(event.blocked, [consumer, consumer]);
      assert.deepEqual(event.waiting, ['produce']);
      assert.equal(event.waitingCount, 1);
      latch.countDown(); // the main thread stands in for the producer: everything runs
      assert.deepEqual(await Promise.all(consumers), ['consumed', 'consumed']);
      assert.equal(await producer, 'produced');
    },
  );
}

test('unlistened, a deadlock is a process warning naming the tasks', T, async (t) => {
  const pool = track(t, new Pool({ worker, maxWorkers: 1 }));
  const latch = new Latch(1);
  const consumer = pool.run('consume', [latch]);
  const producer = pool.run('produce', [latch]);
  const warned = new Promise((resolve) => {
    const onWarning = (w) => {
      if (w.code !== 'SPINDLE_POOL_DEADLOCK') return;
      process.off('warning', onWarning);
      resolve(w);
    };
    process.on('warning', onWarning);
  });
  const w = await within(warned, 20_000, 'deadlock warning');
  assert.equal(w.name, 'SpindleWarning');
  assert.match(
    w.message,
    /every worker of the pool \(1\) is blocked .* running 'consume', while 1 task\(s\) wait for a worker \('produce'\)/,
  );
  latch.countDown();
  assert.equal(await consumer, 'consumed');
  assert.equal(await producer, 'produced');
});

test('tasks that wait on each other with a worker each make progress: no deadlock is reported', T, async (t) => {
  const pool = track(t, new Pool({ worker, maxWorkers: 3, minWorkers: 3 }));
  await pool.ready();
  let reported = 0;
  pool.on('deadlock', () => reported++);
  for (let round = 0; round < 3; round++) {
    const latch = new Latch(1);
    const results = await within(
      Promise.all([pool.run('consume', [latch]), pool.run('consume', [latch]), pool.run('produce', [latch])]),
      20_000,
      'round',
    );
    assert.deepEqual(results, ['consumed', 'consumed', 'produced']);
  }
  assert.equal(reported, 0);
});
