import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Barrier, Channel, Condition, hasShared, Latch, Mutex, reviveShared, Semaphore } from 'spindle/shared';
import { startWorker } from './fixtures/shared/helpers.js';

const make = {
  Mutex: () => new Mutex(),
  Semaphore: () => new Semaphore(3),
  Latch: () => new Latch(2),
  Barrier: () => new Barrier(2),
  Condition: () => new Condition(),
  Channel: () => new Channel({ capacity: 4 }),
};
const classes = { Mutex, Semaphore, Latch, Barrier, Condition, Channel };

test('every primitive is clone-friendly: a tag and its buffer are its only enumerable fields', () => {
  for (const [name, create] of Object.entries(make)) {
    const x = create();
    assert.deepEqual(Object.keys(x), ['__spindleShared', 'buffer'], name);
    assert.equal(x.__spindleShared, name);
    assert.ok(x.buffer instanceof SharedArrayBuffer);
    const clone = structuredClone(x);
    assert.equal(Object.getPrototypeOf(clone), Object.prototype);
    const revived = classes[name].from(clone);
    assert.ok(revived instanceof classes[name]);
    assert.notEqual(revived, x);
    assert.equal(classes[name].from(x), x, 'from(instance) returns it');
    assert.ok(reviveShared(clone) instanceof classes[name]);
    assert.equal(reviveShared(x), x);
  }
});

test('a revived clone shares memory with the original', async () => {
  const m = new Mutex();
  const copy = Mutex.from(structuredClone(m));
  const g = copy.tryLock();
  assert.equal(m.locked, true);
  g.release();
  const s = new Semaphore(2);
  Semaphore.from(structuredClone(s)).tryAcquire();
  assert.equal(s.available, 1);
  const ch = new Channel();
  Channel.from(structuredClone(ch)).sendSync({ hello: 'there' });
  assert.deepEqual(await ch.receive(), { hello: 'there' });
  const b = Barrier.from(structuredClone(new Barrier(3)));
  assert.equal(b.parties, 3);
});

test('from() rejects values that are not the expected primitive, with a coded error', () => {
  for (const [name, Class] of Object.entries(classes)) {
    const other = name === 'Mutex' ? make.Channel() : make.Mutex();
    const rejects = [
      [undefined, undefined],
      [null, undefined],
      [42, undefined],
      [name, undefined],
      [{}, undefined],
      [{ __spindleShared: 7, buffer: new SharedArrayBuffer(4) }, undefined],
      [{ __spindleShared: name }, name],
      [{ __spindleShared: name, buffer: new ArrayBuffer(4) }, name],
      [{ __spindleShared: name, buffer: new SharedArrayBuffer(3) }, name],
      [{ __spindleShared: name, buffer: new SharedArrayBuffer(4448) }, name], // right size for a small Channel, no layout
      [other, other.__spindleShared],
      [structuredClone(other), other.__spindleShared],
    ];
    for (const [value, actual] of rejects) {
      assert.throws(
        () => Class.from(value),
        (e) => e.code === 'ERR_SHARED_INVALID_HANDLE' && e.expected === name && e.actual === actual,
      );
    }
  }
  // A Barrier whose memory says 0 parties is malformed.
  assert.throws(() => Barrier.from({ __spindleShared: 'Barrier', buffer: new SharedArrayBuffer(8) }), {
    code: 'ERR_SHARED_INVALID_HANDLE',
  });
});

test('reviveShared returns untagged values unchanged, and can revive nested ones', () => {
  const untouched = [1, 'x', null, undefined, true, {}, [], new Map(), { __spindleShared: 5 }, new Uint8Array(2)];
  for (const value of untouched) assert.equal(reviveShared(value), value);
  assert.throws(() => reviveShared({ __spindleShared: 'Teleporter', buffer: new SharedArrayBuffer(4) }), {
    code: 'ERR_SHARED_INVALID_HANDLE',
  });
  assert.throws(() => reviveShared({ __spindleShared: 'Mutex' }), { code: 'ERR_SHARED_INVALID_HANDLE' });
  assert.throws(() => reviveShared({ __spindleShared: 'toString' }), { code: 'ERR_SHARED_INVALID_HANDLE' });
  const data = structuredClone({ jobs: make.Channel(), locks: [make.Mutex(), 3], deep: { latch: make.Latch() } });
  data.self = data;
  assert.equal(reviveShared(data), data, 'shallow: an untagged container is returned as is');
  assert.equal(Object.getPrototypeOf(data.jobs), Object.prototype);
  const revived = reviveShared(data, { deep: true });
  assert.equal(revived, data);
  assert.ok(data.jobs instanceof Channel);
  assert.ok(data.locks[0] instanceof Mutex);
  assert.equal(data.locks[1], 3);
  assert.ok(data.deep.latch instanceof Latch);
});

test('every primitive keeps sharing memory through workerData and postMessage', { timeout: 60_000 }, async () => {
  const set = Object.fromEntries(Object.entries(make).map(([name, create]) => [name, create()]));
  const w = startWorker('cross-worker.js', set, { timeout: 30_000 });
  w.worker.postMessage(set);
  assert.deepEqual(await set.Channel.receive({ timeout: 20_000 }), {
    from: 'worker',
    kinds: ['Mutex', 'Semaphore', 'Latch', 'Barrier', 'Condition', 'Channel'],
  });
  set.Latch.countDown(); // the worker counts down the other one
  await set.Latch.wait({ timeout: 20_000 });
  assert.equal(set.Latch.count, 0);
  assert.equal(set.Mutex.locked, true);
  assert.equal(set.Semaphore.available, 2);
  await set.Barrier.wait({ timeout: 20_000 });
  assert.equal(await set.Channel.receive({ timeout: 20_000 }), 'after the barrier');
  await w.done;
});

function runChild(mode) {
  const child = fileURLToPath(new URL('./fixtures/shared/keepalive-child.js', import.meta.url));
  const r = spawnSync(process.execPath, [child, mode], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.error, undefined);
  return r;
}

test('a pending async wait keeps the process alive until another thread releases it', { timeout: 60_000 }, (t) => {
  const control = runChild('raw');
  if (control.stdout.includes('acquired')) t.diagnostic('this Node keeps the loop alive for a bare waitAsync too');
  else assert.equal(control.status, 0); // Node 20: the bare waitAsync let the process exit early
  for (const mode of ['mutex', 'channel']) {
    const r = runChild(mode);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /acquired/, `${mode}: exited before the wait was released`);
  }
});

test('hasShared finds tagged values, nested ones only when deep', () => {
  const data = structuredClone({ jobs: make.Channel(), list: [1, { lock: make.Mutex() }] });
  assert.equal(hasShared(data), false);
  assert.equal(hasShared(data, true), true);
  assert.equal(hasShared(data.jobs), true);
  assert.equal(hasShared(make.Latch()), true);
  const cyclic = { a: [1, 2] };
  cyclic.self = cyclic;
  for (const v of [1, null, undefined, 'Mutex', {}, cyclic, new Map([[1, make.Mutex()]])])
    assert.equal(hasShared(v, true), false);
});
