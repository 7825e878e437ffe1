import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { Channel, Mutex } from 'spindle/shared';
import { failure, startWorker, until, within } from './fixtures/shared/helpers.js';

test('values arrive as structured clone would deliver them', () => {
  const ch = new Channel({ capacity: 4, maxRecordSize: 4096 });
  const cyclic = { name: 'loop' };
  cyclic.self = cyclic;
  const shared = { n: 1 };
  const values = [
    0,
    -0,
    1,
    -1,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 31,
    3.25,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.MIN_VALUE,
    '',
    'a',
    'hello world',
    'é',
    '日本語テキスト',
    '😀 emoji',
    // Lone surrogates survive, as with structured clone (issue 11, item 22).
    'a\uD800b',
    '\uDFFF',
    `${'x'.repeat(70)}\uD83D`,
    'é\uDC00',
    { 'key\uD800': '\uDBFF value' },
    'x'.repeat(63),
    'y'.repeat(64),
    'z'.repeat(1000),
    true,
    false,
    null,
    undefined,
    0n,
    -12345678901234567890n,
    2n ** 100n,
    [],
    [1, 'two', [3, [4]], { five: 5 }],
    // biome-ignore lint/suspicious/noSparseArray: a hole takes the v8 path
    [1, , 3],
    {},
    { a: 1, b: 'b', c: { d: [true, null] } },
    { 'é-key': 1, '': 2, 3: 'three' },
    Object.assign(Object.create(null), { bare: true }),
    JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}'),
    new Uint8Array([1, 2, 3]),
    new Int16Array([-1, 2]),
    new Float32Array([0.5]),
    new Float64Array([1e300, -0]),
    new BigInt64Array([-5n]),
    new BigUint64Array([5n]),
    new Uint8ClampedArray([255]),
    new Int8Array([-128]),
    new Uint16Array([65535]),
    new Int32Array([-7]),
    new Uint32Array([2 ** 32 - 1]),
    new DataView(new Uint8Array([9, 8, 7]).buffer),
    new Uint8Array([1, 2, 3, 4]).buffer,
    Buffer.from('buffer bytes'),
    new Date(1_700_000_000_000),
    new Map([[1, { a: 1 }]]),
    new Set(['s']),
    /re/gi,
    new Error('an error'),
    new (class Point {
      x = 1;
      y = 2;
    })(),
    cyclic,
    { left: shared, right: shared },
    Object(5),
    Object('boxed'),
  ];
  for (const value of values) {
    assert.ok(ch.trySend(value));
    const r = ch.tryReceive();
    assert.equal(r.ok, true);
    assert.deepStrictEqual(r.value, structuredClone(value), `round trip of ${inspect(value)}`);
  }
  ch.sendSync(new Date(Number.NaN)); // deepStrictEqual cannot compare invalid dates
  const invalid = ch.receiveSync();
  assert.ok(invalid instanceof Date && Number.isNaN(invalid.getTime()));
  // Identity inside one record is kept, like structured clone.
  ch.sendSync(cyclic);
  const back = ch.receiveSync();
  assert.equal(back.self, back);
  ch.sendSync({ left: shared, right: shared });
  const pair = ch.receiveSync();
  assert.equal(pair.left, pair.right);
  // A typed array arrives as a fresh copy of just its view.
  const big = new Uint8Array(100);
  big[50] = 7;
  ch.sendSync(big.subarray(50, 52));
  const view = ch.receiveSync();
  assert.deepEqual([...view], [7, 0]);
  assert.equal(view.buffer.byteLength, 2);
  assert.ok(!(view.buffer instanceof SharedArrayBuffer));
  // No prototype pollution from an own "__proto__" key.
  ch.sendSync(JSON.parse('{"__proto__": {"polluted": true}}'));
  const own = ch.receiveSync();
  assert.equal(Object.getPrototypeOf(own), Object.prototype);
  assert.equal({}.polluted, undefined);
});

test('values that cannot travel, or do not fit, are refused with coded errors and nothing is sent', async () => {
  const ch = new Channel({ capacity: 2, maxRecordSize: 64 });
  for (const value of [
    () => 1,
    Symbol('s'),
    { f() {} },
    new SharedArrayBuffer(4),
    new Int32Array(new SharedArrayBuffer(4)),
    new Mutex(),
    structuredClone(new Mutex()),
    new WeakMap(),
  ]) {
    const err = await failure(() => ch.send(value));
    assert.equal(err.code, 'ERR_SHARED_UNSUPPORTED_VALUE', inspect(value));
    assert.throws(() => ch.sendSync(value), { code: 'ERR_SHARED_UNSUPPORTED_VALUE' });
  }
  assert.throws(() => ch.trySend('x'.repeat(100)), { code: 'ERR_SHARED_RECORD_TOO_LARGE' });
  const tooBig = await failure(() => ch.send({ data: new Uint8Array(1000) }));
  assert.equal(tooBig.code, 'ERR_SHARED_RECORD_TOO_LARGE');
  assert.equal(tooBig.limit, 64);
  assert.ok(tooBig.size > 64);
  assert.equal((await failure(() => ch.send(new Map([[1, 'x'.repeat(200)]])))).code, 'ERR_SHARED_RECORD_TOO_LARGE');
  assert.equal(ch.size, 0);
  assert.deepEqual(ch.tryReceive(), { ok: false, closed: false });
  // A record of exactly maxRecordSize bytes fits: 'x' * 62 encodes to 2 + 62 bytes.
  assert.ok(ch.trySend('x'.repeat(62)));
  assert.equal(ch.receiveSync(), 'x'.repeat(62));
});

test('capacity is exact even when it is not a power of two', async () => {
  for (const capacity of [1, 3, 7, 8]) {
    const ch = new Channel({ capacity });
    assert.equal(ch.capacity, capacity);
    for (let i = 0; i < capacity; i++) assert.ok(ch.trySend(i));
    assert.equal(ch.trySend('over'), false);
    assert.equal(ch.size, capacity);
    assert.equal((await failure(() => ch.send('over', { timeout: 10 }))).code, 'ERR_SHARED_TIMEOUT');
    assert.equal(ch.receiveSync(), 0);
    assert.ok(ch.trySend(capacity));
    assert.equal(ch.trySend('over'), false);
    for (let i = 1; i <= capacity; i++) assert.equal(ch.receiveSync(), i);
    assert.equal(ch.size, 0);
  }
});

test('the ring wraps around many laps', () => {
  const ch = new Channel({ capacity: 3 });
  for (let i = 0; i < 10_000; i++) {
    ch.sendSync(i);
    if (i % 2) ch.sendSync(-i);
    assert.equal(ch.receiveSync(), i);
    if (i % 2) assert.equal(ch.receiveSync(), -i);
  }
});

test('send waits for room and receive waits for a value, without blocking the loop', async () => {
  const ch = new Channel({ capacity: 1 });
  const received = ch.receive({ timeout: 10_000 });
  await new Promise((r) => setImmediate(r));
  await ch.send('first');
  assert.equal(await received, 'first');
  ch.trySend('fill');
  const sent = ch.send('second', { timeout: 10_000 });
  await new Promise((r) => setImmediate(r));
  assert.equal(ch.waiting.senders, 1);
  assert.equal(await ch.receive(), 'fill');
  await sent;
  assert.equal(await ch.receive(), 'second');
});

test('close() wakes every blocked receiver, in workers and on the main thread', { timeout: 60_000 }, async () => {
  const ch = new Channel({ capacity: 4 });
  const workers = [1, 2, 3].map(() =>
    startWorker('channel-blocked.js', { channel: ch, op: 'receive' }, { timeout: 30_000 }),
  );
  const rescue = new AbortController();
  const mine = failure(() => ch.receive({ signal: rescue.signal }));
  try {
    await until(() => ch.waiting.receivers === 4, 20_000, 'four blocked receivers');
    ch.close();
    assert.equal(ch.closed, true);
    for (const w of workers) assert.deepEqual(await w.done, ['ERR_SHARED_CHANNEL_CLOSED']);
    assert.equal((await within(mine, 10_000, 'main receive')).code, 'ERR_SHARED_CHANNEL_CLOSED');
  } finally {
    rescue.abort();
  }
});

test('close() wakes every blocked sender; what was sent before close is still received', {
  timeout: 60_000,
}, async () => {
  const ch = new Channel({ capacity: 2 });
  ch.sendSync('a');
  ch.sendSync('b');
  const workers = [1, 2].map(() => startWorker('channel-blocked.js', { channel: ch, op: 'send' }, { timeout: 30_000 }));
  const rescue = new AbortController();
  const mine = failure(() => ch.send('c', { signal: rescue.signal }));
  try {
    await until(() => ch.waiting.senders === 3, 20_000, 'three blocked senders');
    ch.close();
    ch.close(); // idempotent
    for (const w of workers) assert.deepEqual(await w.done, ['ERR_SHARED_CHANNEL_CLOSED']);
    assert.equal((await within(mine, 10_000, 'main send')).code, 'ERR_SHARED_CHANNEL_CLOSED');
    assert.equal(await ch.receive(), 'a');
    assert.equal(ch.receiveSync(), 'b');
    assert.equal((await failure(() => ch.receive())).code, 'ERR_SHARED_CHANNEL_CLOSED');
    assert.throws(() => ch.receiveSync(), { code: 'ERR_SHARED_CHANNEL_CLOSED' });
    assert.deepEqual(ch.tryReceive(), { ok: false, closed: true });
    assert.throws(() => ch.trySend('x'), { code: 'ERR_SHARED_CHANNEL_CLOSED' });
    assert.throws(() => ch.sendSync('x'), { code: 'ERR_SHARED_CHANNEL_CLOSED' });
    assert.equal((await failure(() => ch.send('x'))).code, 'ERR_SHARED_CHANNEL_CLOSED');
  } finally {
    rescue.abort();
  }
});

test('iteration ends at close after draining; valuesSync too', async () => {
  const ch = new Channel({ capacity: 8 });
  for (let i = 0; i < 5; i++) ch.sendSync(i);
  ch.close();
  const got = [];
  for await (const v of ch) got.push(v);
  assert.deepEqual(got, [0, 1, 2, 3, 4]);
  const ch2 = new Channel();
  ch2.sendSync('x');
  ch2.close();
  assert.deepEqual([...ch2.valuesSync()], ['x']);
});

test('send, sendSync, receive, receiveSync and values() time out and abort with coded errors', async () => {
  const empty = new Channel({ capacity: 1 });
  const full = new Channel({ capacity: 1 });
  full.sendSync('x');
  for (const call of [
    () => empty.receive({ timeout: 20 }),
    () => empty.receiveSync({ timeout: 20 }),
    () => full.send(1, { timeout: 20 }),
    () => full.sendSync(1, { timeout: 0 }),
  ]) {
    assert.equal((await failure(call)).code, 'ERR_SHARED_TIMEOUT');
  }
  for (const start of [
    (s) => empty.receive({ signal: s }),
    (s) => full.send(1, { signal: s }),
    (s) => empty.values({ signal: s }).next(),
  ]) {
    const ac = new AbortController();
    const p = start(ac.signal);
    setImmediate(() => ac.abort('stop'));
    const err = await failure(() => p);
    assert.equal(err.code, 'ERR_SHARED_ABORTED');
    assert.equal(err.cause, 'stop');
  }
  const pre = AbortSignal.abort();
  for (const call of [
    () => empty.receive({ signal: pre }),
    () => empty.receiveSync({ signal: pre }),
    () => full.send(1, { signal: pre }),
    () => full.sendSync(1, { signal: pre }),
  ]) {
    assert.equal((await failure(call)).code, 'ERR_SHARED_ABORTED');
  }
  assert.equal(full.size, 1);
  assert.equal(empty.size, 0);
  assert.deepEqual(empty.waiting, { senders: 0, receivers: 0 });
});

test('an aborted receive or send passes its wake-up on to the next waiter', async () => {
  const ch = new Channel({ capacity: 1 });
  const rescue = new AbortController();
  try {
    const ac = new AbortController();
    const aborted = ch.receive({ signal: ac.signal });
    const live = ch.receive({ signal: rescue.signal });
    ac.abort();
    assert.equal((await failure(() => aborted)).code, 'ERR_SHARED_ABORTED');
    ch.sendSync('v');
    assert.equal(await within(live, 10_000, 'live receiver'), 'v');

    ch.sendSync('fill');
    const ac2 = new AbortController();
    const abortedSend = ch.send('a', { signal: ac2.signal });
    const liveSend = ch.send('b', { signal: rescue.signal });
    ac2.abort();
    assert.equal((await failure(() => abortedSend)).code, 'ERR_SHARED_ABORTED');
    assert.equal(ch.receiveSync(), 'fill');
    await within(liveSend, 10_000, 'live sender');
    assert.equal(ch.receiveSync(), 'b');
  } finally {
    rescue.abort();
  }
});

test('options are validated', () => {
  for (const options of [
    { capacity: 0 },
    { capacity: 1.5 },
    { capacity: 2 ** 21 },
    { maxRecordSize: 8 },
    { maxRecordSize: '1k' },
    'x',
    { capacity: 2 ** 20, maxRecordSize: 2 ** 26 },
  ]) {
    assert.throws(() => new Channel(options), { code: 'ERR_INVALID_OPTION' }, JSON.stringify(options));
  }
  const ch = new Channel({ capacity: 5, maxRecordSize: 100 });
  assert.equal(ch.capacity, 5);
  assert.equal(ch.maxRecordSize, 100);
  assert.throws(() => ch.receiveSync({ timeout: Number.NaN }), { code: 'ERR_INVALID_OPTION' });
});
