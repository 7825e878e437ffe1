import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Barrier, Guard, Mutex } from 'spindle/shared';
import { failure, runWorkers, within } from './fixtures/shared/helpers.js';

function counterRun(mode, { workers = 4, iterations = 100_000, work = 20 } = {}) {
  const mutex = new Mutex();
  const counter = new SharedArrayBuffer(4);
  const gate = new Barrier(workers);
  const data = { mode, iterations, work, mutex, gate, counter };
  return runWorkers(
    'counter-worker.js',
    Array.from({ length: workers }, () => data),
    { timeout: 120_000 },
  ).then(() => new Int32Array(counter)[0]);
}

test('4 workers x 100k read-modify-write increments under lockSync lose nothing', { timeout: 150_000 }, async () => {
  assert.equal(await counterRun('sync'), 400_000);
});

test('the same increments without the mutex lose updates (the test can fail)', { timeout: 150_000 }, async () => {
  const total = await counterRun('none');
  assert.ok(total < 400_000, `expected lost updates, got ${total}`);
});

test('async lock() in workers and on the main thread together lose nothing', { timeout: 150_000 }, async () => {
  const workers = 2;
  const iterations = 20_000;
  const mutex = new Mutex();
  const counter = new SharedArrayBuffer(4);
  const c = new Int32Array(counter);
  const gate = new Barrier(workers + 1);
  const running = runWorkers(
    'counter-worker.js',
    [
      { mode: 'async', iterations, work: 20, mutex, gate, counter },
      { mode: 'sync', iterations, work: 20, mutex, gate, counter },
    ],
    { timeout: 120_000 },
  );
  await gate.wait({ timeout: 30_000 });
  for (let i = 0; i < iterations; i++) {
    await mutex.withLock(() => {
      const v = c[0];
      c[0] = v + 1;
    });
  }
  await running;
  assert.equal(c[0], 3 * iterations);
});

test('tryLock, unlock and guards', async () => {
  const m = new Mutex();
  const g = m.tryLock();
  assert.ok(g instanceof Guard);
  assert.equal(m.locked, true);
  assert.equal(m.tryLock(), undefined);
  g.release();
  assert.equal(g.released, true);
  assert.equal(m.locked, false);
  g.release(); // a stale guard does nothing...
  const other = m.tryLock();
  g[Symbol.dispose](); // ...and does not free someone else's hold
  assert.equal(m.locked, true);
  await other[Symbol.asyncDispose]();
  assert.equal(m.locked, false);
  assert.equal((await failure(() => m.unlock())).code, 'ERR_SHARED_NOT_LOCKED');
});

test('withLock releases when fn throws or rejects, and returns its value', async () => {
  const m = new Mutex();
  assert.equal(await m.withLock(async () => 7), 7);
  assert.equal(
    m.withLockSync(() => 8),
    8,
  );
  await assert.rejects(
    m.withLock(async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.throws(() =>
    m.withLockSync(() => {
      throw new Error('bang');
    }),
  );
  assert.equal(m.locked, false);
});

test('lock() waits for unlock without blocking the event loop', async () => {
  const m = new Mutex();
  const held = m.tryLock();
  let acquired = false;
  const waiting = m.lock().then((g) => {
    acquired = true;
    return g;
  });
  await new Promise((r) => setImmediate(r)); // the loop turns while lock() waits
  assert.equal(acquired, false);
  held.release();
  const g = await within(waiting, 10_000, 'lock()');
  assert.equal(acquired, true);
  g.release();
});

test('waiters queue: every pending lock() eventually gets the lock exactly once', async () => {
  const m = new Mutex();
  const held = m.tryLock();
  const order = [];
  const all = Array.from({ length: 20 }, (_, i) =>
    m.withLock(async () => {
      order.push(i);
      await new Promise((r) => setImmediate(r));
    }),
  );
  held.release();
  await within(Promise.all(all), 10_000, 'queued locks');
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    Array.from({ length: 20 }, (_, i) => i),
  );
  assert.equal(m.locked, false);
});

test('an aborted lock() passes its wake-up on to the next waiter', async () => {
  // V8 keeps an aborted waitAsync queued; unlock's single notify reaches it first.
  const m = new Mutex();
  const held = m.tryLock();
  const ac = new AbortController();
  const aborted = m.lock({ signal: ac.signal });
  const rescue = new AbortController(); // frees the test's event loop if the wake-up were lost
  const live = m.lock({ signal: rescue.signal });
  ac.abort(new Error('changed my mind'));
  const err = await failure(() => aborted);
  assert.equal(err.code, 'ERR_SHARED_ABORTED');
  assert.equal(err.cause.message, 'changed my mind');
  held.release();
  try {
    (await within(live, 10_000, 'the live waiter')).release();
  } finally {
    rescue.abort();
  }
});

test('lock, lockSync and withLock time out and abort with coded errors', async () => {
  const m = new Mutex();
  const held = m.tryLock();
  for (const call of [
    () => m.lock({ timeout: 20 }),
    () => m.lockSync({ timeout: 20 }),
    () => m.withLock(() => {}, { timeout: 0 }),
    () => m.withLockSync(() => {}, { timeout: 5 }),
  ]) {
    const err = await failure(call);
    assert.equal(err.code, 'ERR_SHARED_TIMEOUT');
  }
  const ac = new AbortController();
  const p = m.lock({ signal: ac.signal });
  setImmediate(() => ac.abort());
  assert.equal((await failure(() => p)).code, 'ERR_SHARED_ABORTED');
  const pre = AbortSignal.abort('no');
  for (const call of [() => m.lock({ signal: pre }), () => m.lockSync({ signal: pre })]) {
    const err = await failure(call);
    assert.equal(err.code, 'ERR_SHARED_ABORTED');
    assert.equal(err.cause, 'no');
  }
  // A free lock is still refused to an already-aborted signal, as AbortSignal users expect.
  held.release();
  assert.equal((await failure(() => m.lock({ signal: pre }))).code, 'ERR_SHARED_ABORTED');
  assert.equal(m.locked, false);
  // Options are validated.
  assert.equal((await failure(() => m.lock({ timeout: -1 }))).code, 'ERR_INVALID_OPTION');
  assert.equal((await failure(() => m.lockSync({ signal: 'x' }))).code, 'ERR_INVALID_OPTION');
});

test('lockSync reports ERR_SHARED_BLOCKING_NOT_ALLOWED where Atomics.wait is forbidden', () => {
  const m = new Mutex();
  const held = m.tryLock();
  const original = Atomics.wait;
  Atomics.wait = () => {
    throw new TypeError('Atomics.wait cannot be called in this context');
  };
  try {
    assert.throws(() => m.lockSync({ timeout: 1000 }), { code: 'ERR_SHARED_BLOCKING_NOT_ALLOWED' });
  } finally {
    Atomics.wait = original;
    held.release();
  }
});
