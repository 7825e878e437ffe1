// The task ring's protocol (runtime/thread/ring.ts) driven by hand through
// interleavings the two threads can produce, made deterministic by hooking
// the Atomics calls of one ring: the "pool" side runs inside the worker's
// calls at the exact step where the other thread could have been preempted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteRing, createRingBuffer } from '../dist/runtime/thread/ring.js';
import { within } from './helpers.js';

const SLEEP = 32;
const BELL = 48;

test('a notify for a record already read does not leave the worker unwakeable (lost wake-up)', async () => {
  const sab = createRingBuffer();
  const worker = new ByteRing(sab); // consumer
  const pool = new ByteRing(sab); // producer
  const ctl = worker.ctl;
  const real = { load: Atomics.load, store: Atomics.store, add: Atomics.add, exchange: Atomics.exchange };
  let step = 0;
  let bellLoads = 0;
  let halfWake = false;
  // Interleaving: the worker's first sleep stores SLEEP=1; the pool publishes
  // record 1 and does the first half of wake() (SLEEP 1 -> 0), then is
  // preempted; the worker sees the record and reads it, sleeps again and
  // loads BELL; only then the pool's add(BELL) + notify land (nobody waits).
  Atomics.store = (a, i, v) => {
    const r = real.store(a, i, v);
    if (a.buffer === sab && i === SLEEP && v === 1 && step === 0) {
      step = 1;
      assert.ok(pool.write(0, 0, 1, 0, ['t', [{ v: 1 }]]));
      pool.publish();
      if (real.load(ctl, SLEEP) === 1 && real.exchange(ctl, SLEEP, 0) === 1) halfWake = true;
    }
    return r;
  };
  Atomics.load = (a, i) => {
    const r = real.load(a, i);
    if (a.buffer === sab && i === BELL && ++bellLoads === 2 && halfWake) {
      halfWake = false;
      real.add(ctl, BELL, 1);
      Atomics.notify(ctl, BELL, 1);
    }
    return r;
  };
  const rec = { a: 0, b: 0, x: 0, y: 0, value: undefined };
  const seen = [];
  let wake;
  const woken = new Promise((resolve) => {
    wake = resolve;
  });
  const intake = (ring) => {
    let took = false;
    while (ring.read(rec)) {
      seen.push(rec.x);
      took = true;
    }
    return took;
  };
  const onWake = () => {
    intake(worker);
    wake();
  };
  // as entry.ts parks the worker before it goes back to its event loop
  const park = (ring) => {
    while (ring.sleep(onWake)) if (!intake(ring)) return;
  };
  try {
    park(worker);
  } finally {
    Object.assign(Atomics, real);
  }
  assert.equal(step, 1, 'the interleaving was driven');
  assert.deepEqual(seen, [1], 'record 1 was read');
  assert.equal(Atomics.load(ctl, SLEEP), 1, 'the worker went back to its event loop asleep, so the pool will notify');
  // The next task: the pool publishes and wakes as handle.ts does.
  assert.ok(pool.write(1, 0, 2, 0, ['t', [{ v: 2 }]]));
  pool.publish();
  pool.wake();
  await within(woken, 5000, 'the wake-up for record 2');
  assert.deepEqual(seen, [1, 2]);
});
