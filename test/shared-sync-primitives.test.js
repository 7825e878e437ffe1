import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Barrier, Condition, Latch, Mutex, Semaphore } from 'spindle/shared';
import { runParty } from './fixtures/shared/barrier-worker.js';
import { bufferOf } from './fixtures/shared/condition-worker.js';
import { failure, runWorkers, startWorker, until, within } from './fixtures/shared/helpers.js';

// ---------------------------------------------------------------- Semaphore

test('a semaphore never lets more than its permits inside (shared high-water mark)', { timeout: 120_000 }, async () => {
  const semaphore = new Semaphore(2);
  const stats = new SharedArrayBuffer(12);
  const s = new Int32Array(stats);
  const gate = new Barrier(4);
  const modes = ['sync', 'sync', 'sync', 'async'];
  await runWorkers(
    'semaphore-worker.js',
    modes.map((mode) => ({ mode, iterations: 5_000, semaphore, gate, stats })),
    { timeout: 100_000 },
  );
  assert.ok(s[1] <= 2, `high-water mark ${s[1]} exceeds 2 permits`);
  assert.equal(s[0], 0);
  assert.equal(s[2], 20_000);
  assert.equal(semaphore.available, 2);
  assert.equal(semaphore.waiting, 0);
});

test('the high-water mark sees overlap when nothing guards the section (the test can fail)', {
  timeout: 60_000,
}, async () => {
  const stats = new SharedArrayBuffer(12);
  const gate = new Barrier(4);
  const data = { mode: 'unguarded', iterations: 1, semaphore: new Semaphore(2), gate, stats };
  await runWorkers('semaphore-worker.js', [data, data, data, data], { timeout: 50_000 });
  assert.equal(new Int32Array(stats)[1], 4);
});

test('semaphore: tryAcquire, release wakes waiters, max and validation', async () => {
  const s = new Semaphore(1, { max: 2 });
  const g = s.tryAcquire();
  assert.ok(g);
  assert.equal(s.tryAcquire(), undefined);
  const waiters = [s.acquire({ timeout: 10_000 }), s.acquire({ timeout: 10_000 })];
  assert.equal(s.waiting, 2);
  s.release(2); // the two waiters take them
  const [a, b] = await Promise.all(waiters);
  a.release();
  b.release(); // 2 available: the max
  assert.throws(() => g.release(), { code: 'ERR_SHARED_SEMAPHORE_OVERFLOW' });
  assert.equal(g.released, true);
  assert.equal(s.available, 2);
  assert.throws(() => s.release(), { code: 'ERR_SHARED_SEMAPHORE_OVERFLOW' });
  assert.equal(await s.withPermit(async () => s.available), 1);
  assert.equal(
    s.withPermitSync(() => s.available),
    1,
  );
  assert.equal(new Semaphore(0).max, 2 ** 31 - 1);
  for (const bad of [
    () => new Semaphore(-1),
    () => new Semaphore(1.5),
    () => new Semaphore(2, { max: 1 }),
    () => s.release(0),
  ]) {
    assert.throws(bad, { code: 'ERR_INVALID_OPTION' });
  }
});

test('semaphore: acquire, acquireSync and withPermit time out and abort', async () => {
  const s = new Semaphore(0);
  for (const call of [
    () => s.acquire({ timeout: 20 }),
    () => s.acquireSync({ timeout: 20 }),
    () => s.withPermit(() => {}, { timeout: 0 }),
    () => s.withPermitSync(() => {}, { timeout: 1 }),
  ]) {
    assert.equal((await failure(call)).code, 'ERR_SHARED_TIMEOUT');
  }
  const ac = new AbortController();
  const p = s.acquire({ signal: ac.signal });
  setImmediate(() => ac.abort());
  assert.equal((await failure(() => p)).code, 'ERR_SHARED_ABORTED');
  assert.equal((await failure(() => s.acquireSync({ signal: AbortSignal.abort() }))).code, 'ERR_SHARED_ABORTED');
  assert.equal(s.waiting, 0);
  // The aborted waiter's queued wake-up is passed on.
  const rescue = new AbortController();
  const ac2 = new AbortController();
  const aborted = s.acquire({ signal: ac2.signal });
  const live = s.acquire({ signal: rescue.signal });
  ac2.abort();
  await failure(() => aborted);
  s.release();
  try {
    (await within(live, 10_000, 'live acquire')).release();
  } finally {
    rescue.abort();
  }
});

// ---------------------------------------------------------------- Barrier

test('a barrier reused for 2,000 generations by 3 workers and the main thread', { timeout: 120_000 }, async () => {
  const parties = 4;
  const generations = 2_000;
  const barrier = new Barrier(parties);
  const slots = new SharedArrayBuffer(2 * parties * 4);
  const modes = ['sync', 'sync', 'async'];
  const workers = modes.map((mode, party) =>
    startWorker('barrier-worker.js', { barrier, slots, party, generations, mode }, { timeout: 100_000 }),
  );
  const mine = await runParty(barrier, new Int32Array(slots), 3, generations, () => barrier.wait({ timeout: 30_000 }));
  const leaders = (await Promise.all(workers.map((w) => w.done))).reduce((sum, [n]) => sum + n, mine);
  assert.equal(leaders, generations, 'exactly one leader per generation');
  assert.equal(barrier.waiting, 0);
});

test('a barrier wait that times out or aborts withdraws, leaving the barrier usable', async () => {
  const b = new Barrier(2);
  assert.equal((await failure(() => b.wait({ timeout: 20 }))).code, 'ERR_SHARED_TIMEOUT');
  assert.equal((await failure(() => b.waitSync({ timeout: 20 }))).code, 'ERR_SHARED_TIMEOUT');
  const ac = new AbortController();
  const p = b.wait({ signal: ac.signal });
  assert.equal(b.waiting, 1);
  ac.abort();
  assert.equal((await failure(() => p)).code, 'ERR_SHARED_ABORTED');
  assert.equal((await failure(() => b.waitSync({ signal: AbortSignal.abort() }))).code, 'ERR_SHARED_ABORTED');
  assert.equal(b.waiting, 0);
  const first = b.wait({ timeout: 10_000 });
  const second = b.wait({ timeout: 10_000 });
  const results = await Promise.all([first, second]);
  assert.deepEqual(results.sort(), [false, true]);
  assert.equal(new Barrier(1).waitSync(), true);
  for (const bad of [0, 65_536, 1.5, '2']) assert.throws(() => new Barrier(bad), { code: 'ERR_INVALID_OPTION' });
});

// ---------------------------------------------------------------- Latch

test('a latch releases every waiter (workers and main) when the count reaches zero', { timeout: 60_000 }, async () => {
  const latch = new Latch(3);
  const released = [];
  const waits = [
    latch.wait({ timeout: 30_000 }).then(() => released.push('a')),
    latch.wait({ timeout: 30_000 }).then(() => released.push('b')),
  ];
  latch.countDown();
  latch.add(2); // more work: now 4
  latch.countDown(3);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(released, []);
  assert.equal(latch.count, 1);
  latch.countDown();
  await Promise.all(waits);
  assert.equal(released.length, 2);
  await latch.wait();
  latch.waitSync();
  assert.throws(() => latch.countDown(), { code: 'ERR_SHARED_LATCH_UNDERFLOW' });
  assert.equal(latch.count, 0);
  // Worker threads count down a latch the main thread awaits.
  const done = new Latch(4);
  const workers = [0, 1, 2, 3].map(() => startWorker('latch-worker.js', { latch: done }, { timeout: 30_000 }));
  await done.wait({ timeout: 30_000 });
  await Promise.all(workers.map((w) => w.done));
});

test('latch: wait and waitSync time out and abort; validation', async () => {
  const latch = new Latch(1);
  assert.equal((await failure(() => latch.wait({ timeout: 20 }))).code, 'ERR_SHARED_TIMEOUT');
  assert.equal((await failure(() => latch.waitSync({ timeout: 20 }))).code, 'ERR_SHARED_TIMEOUT');
  const ac = new AbortController();
  const p = latch.wait({ signal: ac.signal });
  setImmediate(() => ac.abort());
  assert.equal((await failure(() => p)).code, 'ERR_SHARED_ABORTED');
  assert.equal((await failure(() => latch.waitSync({ signal: AbortSignal.abort() }))).code, 'ERR_SHARED_ABORTED');
  for (const bad of [
    () => new Latch(-1),
    () => new Latch(0.5),
    () => latch.countDown(0),
    () => latch.add(-1),
    () => latch.add(2 ** 31),
  ]) {
    assert.throws(bad, { code: 'ERR_INVALID_OPTION' });
  }
});

// ---------------------------------------------------------------- Condition

test('a bounded buffer on Mutex + Condition: a worker and the main thread produce, 2 workers consume', {
  timeout: 120_000,
}, async () => {
  const shared = {
    mutex: new Mutex(),
    notFull: new Condition(),
    notEmpty: new Condition(),
    ring: new SharedArrayBuffer((3 + 4) * 4),
  };
  const count = 3_000;
  const producer = startWorker('condition-worker.js', { ...shared, role: 'producer', count }, { timeout: 100_000 });
  const consumers = [0, 1].map(() =>
    startWorker('condition-worker.js', { ...shared, role: 'consumer' }, { timeout: 100_000 }),
  );
  // The main thread produces too, waiting for room asynchronously.
  const buffer = bufferOf(shared);
  for (let v = 1; v <= count; v++) await buffer.put(v);
  await producer.done;
  for (let i = 0; i < consumers.length; i++) await buffer.put(0); // one stop value per consumer
  const reports = (await Promise.all(consumers.map((w) => w.done))).map(([r]) => r);
  assert.equal(
    reports.reduce((n, r) => n + r.taken, 0),
    2 * count,
  );
  assert.equal(
    reports.reduce((n, r) => n + r.sum, 0),
    count * (count + 1),
  );
  assert.equal(new Int32Array(shared.ring)[0], 0);
});

test('notifyAll wakes every waiter; notify wakes one', { timeout: 30_000 }, async () => {
  const m = new Mutex();
  const c = new Condition();
  let flag = 0;
  const waiters = [1, 2, 3].map(() =>
    m.withLock(() => c.waitFor(m, () => flag > 0, { timeout: 20_000 }), { timeout: 20_000 }),
  );
  await until(() => c.waiting === 3, 10_000, 'three waiters');
  await m.withLock(() => {
    flag = 1;
    c.notifyAll();
  });
  await Promise.all(waiters);
  assert.equal(m.locked, false);
  // notify() wakes one: a single plain wait returns, the other stays.
  const woken = [];
  const a = m.withLock(() => c.wait(m, { timeout: 20_000 })).then(() => woken.push('a'));
  const b = m.withLock(() => c.wait(m, { timeout: 20_000 })).then(() => woken.push('b'));
  await until(() => c.waiting === 2, 10_000, 'two waiters');
  c.notify();
  await until(() => woken.length === 1, 10_000, 'one wake-up');
  await new Promise((r) => setImmediate(r));
  assert.equal(woken.length, 1);
  c.notify();
  await Promise.all([a, b]);
});

test('condition waits time out and abort, and hold the mutex again when they throw', async () => {
  const m = new Mutex();
  const c = new Condition();
  const calls = [
    () => c.wait(m, { timeout: 20 }),
    () => c.waitSync(m, { timeout: 20 }),
    () => c.waitFor(m, () => false, { timeout: 20 }),
    () => c.waitForSync(m, () => false, { timeout: 20 }),
  ];
  for (const call of calls) {
    const guard = m.tryLock();
    assert.equal((await failure(call)).code, 'ERR_SHARED_TIMEOUT');
    assert.equal(m.locked, true, 'the mutex is held again');
    guard.release();
  }
  const guard = m.tryLock();
  const ac = new AbortController();
  const p = c.wait(m, { signal: ac.signal });
  assert.equal(m.locked, false, 'the mutex is released while waiting');
  setImmediate(() => ac.abort());
  assert.equal((await failure(() => p)).code, 'ERR_SHARED_ABORTED');
  assert.equal(m.locked, true);
  for (const call of [
    () => c.waitSync(m, { signal: AbortSignal.abort() }),
    () => c.waitFor(m, () => false, { signal: AbortSignal.abort() }),
  ]) {
    assert.equal((await failure(call)).code, 'ERR_SHARED_ABORTED');
  }
  // A predicate that is true by the deadline wins over the timeout.
  let ready = false;
  setTimeout(() => {
    ready = true;
  }, 5);
  await c.waitFor(m, () => ready, { timeout: 50 });
  guard.release();
  assert.equal(c.waiting, 0);
  assert.equal((await failure(() => c.wait(m))).code, 'ERR_SHARED_NOT_LOCKED');
  assert.throws(() => c.waitSync(m), { code: 'ERR_SHARED_NOT_LOCKED' });
  assert.throws(() => c.waitSync({}), { code: 'ERR_INVALID_OPTION' });
  assert.equal((await failure(() => c.waitFor(m, 'nope'))).code, 'ERR_INVALID_OPTION');
});
