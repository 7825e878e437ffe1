// The shared-memory path of the thread runtime (runtime/thread/ring.ts): which
// values a task or result may carry through the rings (exactly what structured
// clone would deliver, or else postMessage), that the choice is made per task
// with order kept, and that results and errors come back identical either way.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Pool } from '../dist/index.js';
import { runtimeFactory } from '../dist/pool/runtimes.js';
import { MAX_RECORD } from '../dist/runtime/thread/ring.js';
import { Decoder, encodeExact } from '../dist/shared/codec.js';
import { check, fc } from './helpers/fuzz.js';
import { fixture, track, within } from './helpers.js';

const worker = fixture('pool/shared-path.js');
const TASKS_AT = 12; // Kind.TasksAt of runtime/protocol.ts (a const enum: not in dist)

function roundTrip(value) {
  const enc = encodeExact(value, MAX_RECORD);
  if (enc === undefined) return { fallback: true };
  const copy = new Uint8Array(enc.bytes.subarray(0, enc.length));
  return { value: new Decoder(copy.buffer).decode(0, copy.length) };
}

class Point {
  constructor(x) {
    this.x = x;
  }
}

test('values the rings carry come back exactly as structured clone delivers them', () => {
  const date = new Date(1234);
  const ab = new Uint8Array([1, 2, 3]).buffer;
  const values = [
    0,
    -0,
    Number.NaN,
    1.5,
    2 ** 40,
    -7,
    'ascii',
    'héllo wörld ✓ 🎉',
    'x'.repeat(5000),
    true,
    false,
    null,
    undefined,
    123n,
    -(2n ** 80n),
    date,
    ab,
    [],
    [1, 'a', [null, undefined], { b: 2 }],
    { v: 1 },
    { nested: { deeper: { list: [1, 2, 3], when: date } } },
    Object.assign(Object.create(null), { a: 1 }),
    { 2: 'two', 1: 'one', b: 'b', a: 'a' },
    JSON.parse('{"__proto__": 1}'),
  ];
  for (const [i, v] of values.entries()) {
    const r = roundTrip(v);
    assert.ok(!r.fallback, `value ${i} should take the ring`);
    assert.deepStrictEqual(r.value, structuredClone(v));
    if (typeof v === 'object' && v !== null)
      assert.deepStrictEqual(Object.keys(r.value), Object.keys(structuredClone(v)));
  }
});

/** { a, b } whose getter a deletes b: structured clone gives { a: 1 }. */
function deletesLater() {
  const o = {
    get a() {
      delete o.b;
      return 1;
    },
    b: 2,
  };
  return o;
}

test('values the rings cannot reproduce fall back to postMessage', async () => {
  const { port1, port2 } = new MessageChannel();
  const cyclic = { a: 1 };
  cyclic.self = cyclic;
  const repeated = { x: 1 };
  const extra = [1, 2];
  extra.label = 'kept by structured clone';
  const sparse = [1, 2, 3];
  delete sparse[1]; // a hole
  const resizable = new ArrayBuffer(8, { maxByteLength: 16 });
  const fallbacks = {
    MessagePort: port1,
    SharedArrayBuffer: new SharedArrayBuffer(8),
    'view on shared memory': new Int32Array(new SharedArrayBuffer(8)),
    Uint8Array: new Uint8Array(4),
    'typed array view with an offset': new Uint8Array(new ArrayBuffer(8), 4, 2),
    DataView: new DataView(new ArrayBuffer(4)),
    Buffer: Buffer.from('abc'),
    'class instance': new Point(1),
    Map: new Map([[1, 2]]),
    Set: new Set([1]),
    Error: new Error('x'),
    RegExp: /x/,
    'boxed number': Object(1),
    cycle: cyclic,
    'object met twice': { a: repeated, b: repeated },
    'array with a property': extra,
    'sparse array': sparse,
    'resizable ArrayBuffer': resizable,
    'lone surrogate': 'a\ud800b',
    'lone surrogate in a key': { '\udc00': 1 },
    oversized: 'x'.repeat(MAX_RECORD + 1),
    'oversized object': { list: Array.from({ length: MAX_RECORD }, (_, i) => i) },
    Proxy: new Proxy({ a: 1 }, {}),
    function: () => 1,
    symbol: Symbol('s'),
    'throwing getter': {
      get x() {
        throw new Error('getter');
      },
    },
    'nested fallback': { ok: 1, deep: [{ port: port2 }] },
    // structured clone throws on these two
    'arguments object': (function () {
      // biome-ignore lint/complexity/noArguments: the value under test
      return arguments;
    })(1, 2),
    'module namespace': await import('./helpers.js'),
  };
  for (const [what, v] of Object.entries(fallbacks)) {
    assert.deepEqual(roundTrip(v), { fallback: true }, `${what} must fall back`);
    assert.deepEqual(roundTrip([v]), { fallback: true }, `${what} inside an array must fall back`);
  }
  // a getter that deletes a later key (structured clone leaves the key out)
  assert.deepEqual(structuredClone(deletesLater()), { a: 1 });
  assert.deepEqual(roundTrip(deletesLater()), { fallback: true }, 'a getter deleting a later key must fall back');
  assert.deepEqual(roundTrip([deletesLater()]), { fallback: true }, 'inside an array too');
  port1.close();
});

test('decoded objects get their keys as own data whatever Object.prototype holds', async () => {
  // a setter on the prototype chain does not run, and does not swallow the key
  let ran = 0;
  Object.defineProperty(Object.prototype, 'spindleTrap', {
    set() {
      ran++;
    },
    configurable: true,
  });
  try {
    const { value } = roundTrip({ spindleTrap: 1, toString: 2 });
    assert.equal(ran, 0, 'the setter did not run');
    assert.deepEqual(Object.getOwnPropertyDescriptor(value, 'spindleTrap'), {
      value: 1,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    assert.equal(value.toString, 2);
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
  } finally {
    delete Object.prototype.spindleTrap;
  }
  // a frozen Object.prototype (a hardened program): the decoder does not throw
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.codec).then(({ Decoder, encodeExact }) => {
      Object.freeze(Object.prototype);
      const enc = encodeExact({ toString: 1, constructor: 2, valueOf: [3] }, 1024);
      const copy = new Uint8Array(enc.bytes.subarray(0, enc.length));
      try {
        const v = new Decoder(copy.buffer).decode(0, copy.length);
        parentPort.postMessage({ keys: Object.keys(v), toString: v.toString, valueOf: v.valueOf });
      } catch (err) {
        parentPort.postMessage({ error: String(err) });
      }
    });
  `;
  const w = new Worker(code, {
    eval: true,
    workerData: { codec: new URL('../dist/shared/codec.js', import.meta.url).href },
  });
  try {
    const [got] = await within(once(w, 'message'), 20_000, 'the frozen-prototype worker');
    assert.deepEqual(got, { keys: ['toString', 'constructor', 'valueOf'], toString: 1, valueOf: [3] });
  } finally {
    await w.terminate();
  }
});

test('fuzz: whatever the rings accept decodes to what structured clone gives', () => {
  const value = fc.anything({
    maxDepth: 3,
    withBigInt: true,
    withDate: true,
    withNullPrototype: true,
    withSparseArray: true,
    withBoxedValues: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withObjectString: true,
    withUnicodeString: true,
  });
  check(
    fc.property(value, (v) => {
      const r = roundTrip(v);
      if (r.fallback) return;
      assert.deepStrictEqual(r.value, structuredClone(v));
    }),
  );
});

/** A thread handle of the pool's own runtime, with a sink that records what comes back. */
async function handle(t, shared = true) {
  const results = new Map();
  const waiters = new Map();
  let ready;
  const readyP = new Promise((r) => (ready = r));
  const exited = [];
  const sink = {
    ready: () => ready(),
    loadFailed: (_h, e) => assert.fail(e),
    teardownFailed: () => {},
    result: (_h, task, ok, value) => {
      results.set(task.id, { ok, value });
      waiters.get(task.id)?.();
    },
    unsendable: (_h, task, error) => {
      results.set(task.id, { unsendable: error });
      waiters.get(task.id)?.();
    },
    progress: () => {},
    recycle: () => {},
    exit: (_h, info) => exited.push(info),
  };
  const previous = process.env.SPINDLE_POOL_SHARED;
  process.env.SPINDLE_POOL_SHARED = shared ? '1' : '0';
  const factory = runtimeFactory({
    url: worker.href ?? String(worker),
    setup: '',
    concurrency: 1,
    maxHeapMb: 0,
    execArgv: undefined,
    killGrace: 0,
    resourceLimits: undefined,
    env: undefined,
    extendEnv: true,
    workerData: undefined,
    errorClasses: undefined,
    runtime: 'thread',
  });
  if (previous === undefined) delete process.env.SPINDLE_POOL_SHARED;
  else process.env.SPINDLE_POOL_SHARED = previous;
  const h = factory(1, sink);
  t.after(() => h.terminate());
  await within(readyP, 20_000, 'worker ready');
  let id = 0;
  const run = (name, args, transfer) => {
    const task = { id: ++id, name, args, transfer, slot: -1 };
    const done = new Promise((r) => waiters.set(task.id, r));
    return { task, done: done.then(() => results.get(task.id)) };
  };
  return { h, run, exited };
}

test('the pool chooses per task: ring for plain values, postMessage for the rest, in the order sent', async (t) => {
  const { h, run } = await handle(t);
  const buf = new ArrayBuffer(4);
  const calls = [
    run('order', [0, { v: 1 }]),
    run('order', [1, new SharedArrayBuffer(4)]),
    run('order', [2, 'plain']),
    run('order', [3, buf], [buf]),
    run('order', [4, new Point(1)]),
    run('order', [5, [1, 2, 3]]),
    run('order', [6, new Uint8Array(2)]),
    run('order', [7, null]),
  ];
  h.send(calls.map((c) => c.task));
  const out = await within(Promise.all(calls.map((c) => c.done)), 20_000, 'results');
  assert.deepEqual(
    out.map((r) => r.value),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
  assert.equal(h.ringTasks, 4, 'tasks 0, 2, 5, 7 took the ring, the others postMessage');
  const log = run('orderLog', []);
  h.send([log.task]);
  assert.deepEqual((await within(log.done, 20_000, 'log')).value, [0, 1, 2, 3, 4, 5, 6, 7]);
  // Results: the first of a burst goes by message (it wakes the pool), those
  // written before the pool reads go in the record ring, errors too; a value
  // the ring cannot carry goes by message. The pool's thread is held until the
  // worker is done, so that all of them are written before it reads.
  const before = h.ringResults;
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const first = run('echo', [{ v: 0 }]);
  const err = run('fail', [9]);
  const obj = run('echo', [{ v: 1, list: ['a', 2n] }]);
  const cls = run('echo', [new Map([[1, 2]])]);
  const done = run('signal', [flag]);
  h.send([first.task, err.task, obj.task, cls.task, done.task]);
  assert.equal(Atomics.wait(flag, 0, 0, 20_000), 'ok');
  const [f, e, o, c] = await within(Promise.all([first.done, err.done, obj.done, cls.done]), 20_000, 'results');
  assert.deepEqual(f, { ok: true, value: { v: 0 } });
  assert.deepEqual(o, { ok: true, value: { v: 1, list: ['a', 2n] } });
  assert.equal(e.ok, false);
  assert.equal(e.value.message, 'fail 9');
  assert.equal(e.value.code, 'E_FIXTURE');
  assert.deepEqual(e.value.detail, { i: 9, list: [9, 'x'] });
  assert.deepEqual(c.value, new Map([[1, 2]]));
  assert.equal(h.ringResults - before, 2, 'the error and the second object took the record ring');
});

for (const target of ['another worker', 'the same worker']) {
  test(`a getter that sends tasks (to ${target}) while a batch is posted does not change the ring records around it`, async (t) => {
    // post() runs structured clone, and with it user getters, between the
    // encoding of a ring task and the writing of its record. A getter that
    // sends tasks encodes into the same scratch memory (another worker) or
    // takes sequence numbers the batch being posted holds (the same one).
    const one = await handle(t);
    const two = target === 'the same worker' ? one : await handle(t);
    const inner = [];
    let fired = false;
    const trap = {
      map: new Map([[1, 2]]), // not for the ring: this task goes by postMessage
      get g() {
        if (!fired) {
          fired = true;
          inner.push(two.run('echo', [{ v: 901 }]), two.run('echo', [{ v: 902 }]));
          two.h.send(inner.map((c) => c.task));
        }
        return 'g';
      },
    };
    const calls = [
      one.run('echo', [{ v: 0 }]),
      one.run('echo', [trap]),
      one.run('echo', [{ v: 1 }]),
      one.run('echo', [{ v: 2 }]),
    ];
    one.h.send(calls.map((c) => c.task));
    const out = await within(Promise.all(calls.map((c) => c.done)), 20_000, 'results');
    assert.ok(fired, 'the getter ran');
    assert.deepEqual(
      out.map((r) => r.value),
      [{ v: 0 }, { map: new Map([[1, 2]]), g: 'g' }, { v: 1 }, { v: 2 }],
      'the record written after the getter ran holds its own task',
    );
    const got = await within(Promise.all(inner.map((c) => c.done)), 20_000, 'inner results');
    assert.deepEqual(
      got.map((r) => r.value),
      [{ v: 901 }, { v: 902 }],
    );
  });
}

test('a send that fills the ring sends the rest as one message, and publishes as it goes', async (t) => {
  const { h, run } = await handle(t);
  let messages = 0;
  const port = h.port;
  const postMessage = port.postMessage;
  port.postMessage = function (m, transfer) {
    if (m[0] === TASKS_AT) messages++;
    return postMessage.call(this, m, transfer);
  };
  let publishes = 0;
  const ring = h.taskRing;
  const publish = ring.publish;
  ring.publish = function () {
    const shown = publish.call(this);
    if (shown) publishes++;
    return shown;
  };
  // ~56-byte records: 8,194 tasks are ~450 KiB, the ring holds 256 KiB
  const n = 8194;
  const calls = Array.from({ length: n }, (_, i) => run('order', [i, { v: 1 }]));
  h.send(calls.map((c) => c.task));
  assert.ok(messages <= 1, `${messages} messages: what did not fit went as one`);
  assert.ok(publishes >= 3, `${publishes} publishes: the worker saw records while the send went on`);
  const out = await within(Promise.all(calls.map((c) => c.done)), 60_000, 'burst');
  assert.deepEqual(
    out.map((r) => r.value),
    calls.map((_, i) => i),
  );
  const log = run('orderLog', []);
  h.send([log.task]);
  assert.deepEqual(
    (await within(log.done, 20_000, 'log')).value,
    calls.map((_, i) => i),
  );
});

test('with the shared path off, nothing takes the rings', async (t) => {
  const { h, run } = await handle(t, false);
  const a = run('echo', [{ v: 1 }]);
  h.send([a.task]);
  assert.deepEqual(await within(a.done, 20_000, 'result'), { ok: true, value: { v: 1 } });
  assert.equal(h.ringTasks, 0);
  assert.equal(h.ringResults, 0);
});

test('a burst through the ring wraps it many times, and one that fills it goes on by postMessage, in order', async (t) => {
  const { h, run } = await handle(t);
  const payload = 'y'.repeat(1000); // ~1 KB records: the 256 KiB ring wraps every ~250 tasks
  const n = 2000;
  const expect = Array.from({ length: n }, (_, i) => i);
  const make = () => expect.map((i) => run('order', i % 7 === 3 ? [i, new Uint8Array(1)] : [i, payload]));
  // chunks sent as the previous one completes: the ring wraps about 8 times
  const batch = make();
  for (let i = 0; i < n; i += 100) {
    const chunk = batch.slice(i, i + 100);
    h.send(chunk.map((c) => c.task));
    await within(Promise.all(chunk.map((c) => c.done)), 20_000, 'chunk');
  }
  assert.ok(h.ringTasks >= n - Math.ceil(n / 7), `${h.ringTasks} tasks took the ring`);
  // all sent at once: the ring fills (2 MB of records), the rest go by postMessage
  const before = h.ringTasks;
  const full = make();
  for (let i = 0; i < n; i += 100) h.send(full.slice(i, i + 100).map((c) => c.task));
  const out = await within(Promise.all(full.map((c) => c.done)), 60_000, 'burst');
  assert.deepEqual(
    out.map((r) => r.value),
    expect,
  );
  assert.ok(h.ringTasks - before < n - Math.ceil(n / 7), 'some tasks found the ring full');
  const log = run('orderLog', []);
  h.send([log.task]);
  assert.deepEqual((await within(log.done, 20_000, 'log')).value, [...expect, ...expect]);
});

for (const shared of [true, false]) {
  test(`pool results, errors and unsendable tasks are identical on both paths [shared ${shared ? 'on' : 'off'}]`, async (t) => {
    const previous = process.env.SPINDLE_POOL_SHARED;
    process.env.SPINDLE_POOL_SHARED = shared ? '1' : '0';
    const pool = track(t, new Pool({ worker, maxWorkers: 2 }));
    if (previous === undefined) delete process.env.SPINDLE_POOL_SHARED;
    else process.env.SPINDLE_POOL_SHARED = previous;
    assert.deepEqual(await pool.run('echo', [{ v: 1 }]), { v: 1 });
    assert.deepEqual(await pool.run('echo', [[1n, new Date(5), 'a\ud800']]), [1n, new Date(5), 'a\ud800']);
    const e = await pool.run('fail', [3]).catch((x) => x);
    assert.equal(e.code, 'E_FIXTURE');
    assert.ok(e instanceof Error);
    const u = await pool.run('echo', [() => 1]).catch((x) => x);
    assert.equal(u.code, 'ERR_TASK_NOT_CLONEABLE');
    const ps = Array.from({ length: 5000 }, (_, i) => pool.run('echo', [{ v: i }]));
    const out = await within(Promise.all(ps), 60_000, 'burst');
    assert.ok(out.every((r, i) => r.v === i));
  });
}

for (const shared of [true, false]) {
  test(`a message that does not deserialize in the worker ends it, and its unstarted tasks run elsewhere [shared ${shared ? 'on' : 'off'}]`, async (t) => {
    const previous = process.env.SPINDLE_POOL_SHARED;
    process.env.SPINDLE_POOL_SHARED = shared ? '1' : '0';
    const pool = track(t, new Pool({ worker: fixture('pool/messageerror.js'), maxWorkers: 1 }));
    if (previous === undefined) delete process.env.SPINDLE_POOL_SHARED;
    else process.env.SPINDLE_POOL_SHARED = previous;
    assert.equal(await pool.run('whoami', []), 1);
    // one worker: the tasks behind breakPort are sent to it ahead, unstarted
    const broken = pool.run('breakPort', []).catch((e) => e);
    const after = Array.from({ length: 20 }, () => pool.run('whoami', []));
    const e = await within(broken, 20_000, 'breakPort');
    assert.equal(e.code, 'ERR_WORKER_CRASHED');
    const ids = await within(Promise.all(after), 20_000, 'the tasks behind it');
    assert.deepEqual(ids, Array(20).fill(2), 'they ran on the next worker');
  });
}
