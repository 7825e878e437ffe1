// The batched API (sendMany / sendManySync / receiveMany / receiveManySync)
// and typed channels (`type: 'int32' | 'float64'`), issue 17.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Channel, Mutex } from 'spindle/shared';
import { HEADER_BYTES } from '../dist/shared/ring.js';
import { failure, until, within } from './fixtures/shared/helpers.js';

test('sendManySync / receiveManySync: in order, values as structured clone delivers them, up to max', () => {
  const ch = new Channel({ capacity: 16, maxRecordSize: 128 });
  const values = [1, -0, 2.5, 'two', { three: [3] }, null, undefined, 10n, new Date(5), new Map([[1, 2]]), 'a\uD800'];
  ch.sendManySync(values);
  assert.equal(ch.size, values.length);
  const first = ch.receiveManySync(4);
  assert.deepStrictEqual(
    first,
    values.slice(0, 4).map((v) => structuredClone(v)),
  );
  assert.deepStrictEqual(
    ch.receiveManySync(100),
    values.slice(4).map((v) => structuredClone(v)),
  );
  ch.sendManySync([]); // nothing to send, nothing sent
  assert.equal(ch.size, 0);
});

test('a send validates every value first: one too large or not sendable fails the call, nothing sent', async () => {
  const ch = new Channel({ capacity: 8, maxRecordSize: 32 });
  const tooLarge = [1, 'a', 'x'.repeat(100), 4];
  assert.throws(() => ch.sendManySync(tooLarge), { code: 'ERR_SHARED_RECORD_TOO_LARGE' });
  assert.equal((await failure(() => ch.sendMany(tooLarge))).code, 'ERR_SHARED_RECORD_TOO_LARGE');
  const unsendable = [1, 2, () => {}];
  assert.throws(() => ch.sendManySync(unsendable), { code: 'ERR_SHARED_UNSUPPORTED_VALUE' });
  assert.equal((await failure(() => ch.sendMany([new Mutex()]))).code, 'ERR_SHARED_UNSUPPORTED_VALUE');
  const typed = new Channel({ type: 'int32', capacity: 8 });
  assert.throws(() => typed.sendManySync([1, 2, 3.5]), { code: 'ERR_SHARED_UNSUPPORTED_VALUE' });
  assert.equal(ch.size, 0);
  assert.equal(typed.size, 0);
  for (const bad of ['abc', { length: 2 }, undefined, 5]) {
    assert.throws(() => ch.sendManySync(bad), { code: 'ERR_INVALID_OPTION', option: 'values' });
    assert.equal((await failure(() => ch.sendMany(bad))).code, 'ERR_INVALID_OPTION');
  }
  for (const max of [0, -1, 1.5, '3', Number.NaN]) {
    assert.throws(() => ch.receiveManySync(max), { code: 'ERR_INVALID_OPTION', option: 'max' });
    assert.equal((await failure(() => ch.receiveMany(max))).code, 'ERR_INVALID_OPTION');
  }
});

test('sendMany waits for room, in order, without blocking the loop', async () => {
  const ch = new Channel({ capacity: 3 });
  const values = Array.from({ length: 20 }, (_, i) => ({ i }));
  const sending = ch.sendMany(values, { timeout: 10_000 });
  const got = [];
  while (got.length < values.length) got.push(...(await ch.receiveMany(5, { timeout: 10_000 })));
  await sending;
  assert.deepEqual(got, values);
});

test('a close in the middle fails the call with ERR_SHARED_CHANNEL_CLOSED and err.sent; those are received', async () => {
  const ch = new Channel({ capacity: 3 });
  const sending = failure(() => ch.sendMany([1, 2, 3, 4, 5, 6, 7, 8], { timeout: 10_000 }));
  await until(() => ch.size === 3 && ch.waiting.senders === 1, 10_000, 'a full channel and a waiting sender');
  assert.deepEqual(ch.receiveManySync(2), [1, 2]);
  await until(() => ch.size === 3, 10_000, 'two more sent');
  ch.close();
  const err = await within(sending, 10_000, 'sendMany');
  assert.equal(err.code, 'ERR_SHARED_CHANNEL_CLOSED');
  assert.equal(err.name, 'SharedChannelClosedError');
  assert.equal(err.sent, 5);
  assert.deepEqual(ch.receiveManySync(10), [3, 4, 5]);
  assert.throws(
    () => ch.receiveManySync(10),
    (e) => e.code === 'ERR_SHARED_CHANNEL_CLOSED' && e.sent === null,
  );
  assert.equal((await failure(() => ch.receiveMany(1))).code, 'ERR_SHARED_CHANNEL_CLOSED');
  // On a closed channel nothing is sent at all.
  assert.throws(
    () => ch.sendManySync([1]),
    (e) => e.code === 'ERR_SHARED_CHANNEL_CLOSED' && e.sent === 0,
  );
});

test('the same in a blocking sendManySync: a worker-style sender cut short by a close', async () => {
  const ch = new Channel({ capacity: 2 });
  ch.sendSync('x');
  ch.sendSync('y');
  // Nothing will make room: the timeout ends it, and says how many went (none).
  assert.throws(
    () => ch.sendManySync([1, 2], { timeout: 10 }),
    (e) => e.code === 'ERR_SHARED_TIMEOUT' && e.sent === 0,
  );
  assert.deepEqual(ch.receiveManySync(1), ['x']);
  assert.throws(
    () => ch.sendManySync([1, 2, 3], { timeout: '10ms' }),
    (e) => e.code === 'ERR_SHARED_TIMEOUT' && e.sent === 1 && e.timeout === 10,
  );
  assert.deepEqual(ch.receiveManySync(5), ['y', 1]);
});

test('timeouts and aborts part-way say how many were sent', async () => {
  const ch = new Channel({ capacity: 2 });
  const timedOut = await failure(() => ch.sendMany(['a', 'b', 'c'], { timeout: 20 }));
  assert.equal(timedOut.code, 'ERR_SHARED_TIMEOUT');
  assert.equal(timedOut.sent, 2);
  assert.deepEqual(ch.receiveManySync(5), ['a', 'b']);
  ch.sendSync('fill');
  const ac = new AbortController();
  const aborting = failure(() => ch.sendMany(['d', 'e'], { signal: ac.signal }));
  await until(() => ch.size === 2 && ch.waiting.senders === 1, 10_000, 'a waiting sender');
  ac.abort('stop');
  const aborted = await aborting;
  assert.equal(aborted.code, 'ERR_SHARED_ABORTED');
  assert.equal(aborted.cause, 'stop');
  assert.equal(aborted.sent, 1);
  assert.deepEqual(ch.receiveManySync(5), ['fill', 'd']);
  // A plain send's errors carry sent: null.
  assert.equal((await failure(() => ch.receive({ timeout: 1 }))).sent, null);
});

test('receiveMany waits for at least one record, then takes what is there without waiting for more', async () => {
  const ch = new Channel({ capacity: 8 });
  const pending = ch.receiveMany(10, { timeout: 10_000 });
  await new Promise((r) => setImmediate(r));
  assert.equal(ch.waiting.receivers, 1);
  ch.sendManySync([1, 2, 3]);
  assert.deepEqual(await pending, [1, 2, 3]);
  assert.equal((await failure(() => ch.receiveMany(4, { timeout: 10 }))).code, 'ERR_SHARED_TIMEOUT');
  assert.throws(() => ch.receiveManySync(4, { timeout: 0 }), { code: 'ERR_SHARED_TIMEOUT' });
  const ac = new AbortController();
  const aborted = failure(() => ch.receiveMany(4, { signal: ac.signal }));
  ac.abort();
  assert.equal((await aborted).code, 'ERR_SHARED_ABORTED');
  assert.deepEqual(ch.waiting, { senders: 0, receivers: 0 });
  // A close wakes it; with records left it returns them first.
  const woken = failure(() => ch.receiveMany(4));
  await new Promise((r) => setImmediate(r));
  ch.close();
  assert.equal((await woken).code, 'ERR_SHARED_CHANNEL_CLOSED');
});

test('a malformed record in a batch: the call fails with the coded error carrying the well-formed ones', () => {
  const ch = new Channel({ capacity: 4, maxRecordSize: 32 });
  ch.sendManySync(['a', 'b', 'c']);
  const stride = new Int32Array(ch.buffer)[3];
  new DataView(ch.buffer).setInt32(HEADER_BYTES + stride + 4, 999, true); // the second record's length word
  assert.throws(
    () => ch.receiveManySync(10),
    (e) => e.code === 'ERR_SHARED_MALFORMED_RECORD' && e.received.join() === 'a,c',
  );
  ch.sendSync('after');
  assert.equal(ch.receiveSync(), 'after');
});

test("typed channels: 'int32' and 'float64' carry numbers as they are, and refuse anything else", async () => {
  const ints = new Channel({ type: 'int32', capacity: 4 });
  assert.equal(ints.type, 'int32');
  assert.equal(ints.maxRecordSize, 4);
  for (const v of [0, -1, 2 ** 31 - 1, -(2 ** 31), -0]) {
    ints.sendSync(v);
    assert.ok(ints.receiveSync() === v); // -0 arrives as 0
  }
  for (const v of [1.5, 2 ** 31, Number.NaN, '1', 1n, null, undefined, {}]) {
    assert.throws(() => ints.trySend(v), { code: 'ERR_SHARED_UNSUPPORTED_VALUE' });
    assert.equal((await failure(() => ints.send(v))).code, 'ERR_SHARED_UNSUPPORTED_VALUE');
  }
  const floats = new Channel({ type: 'float64' });
  assert.equal(floats.maxRecordSize, 8);
  floats.sendManySync([0.1, -0, Number.NaN, Number.NEGATIVE_INFINITY, 2 ** 60]);
  const back = floats.receiveManySync(10);
  assert.equal(back[0], 0.1);
  assert.ok(Object.is(back[1], -0));
  assert.ok(Number.isNaN(back[2]));
  assert.deepEqual(back.slice(3), [Number.NEGATIVE_INFINITY, 2 ** 60]);
  assert.throws(() => floats.trySend('1'), { code: 'ERR_SHARED_UNSUPPORTED_VALUE' });
  assert.equal(new Channel().type, 'any');
  assert.equal(new Channel({ type: 'any' }).type, 'any');
  for (const options of [{ type: 'int64' }, { type: 'Int32' }, { type: 1 }, { type: 'int32', maxRecordSize: 64 }]) {
    assert.throws(() => new Channel(options), { code: 'ERR_INVALID_OPTION' });
  }
});

test('a typed channel keeps its type in shared memory: Channel.from() revives it', () => {
  const ints = new Channel({ type: 'int32', capacity: 8 });
  const revived = Channel.from(structuredClone(ints));
  assert.equal(revived.type, 'int32');
  revived.sendManySync([1, 2, 3]);
  assert.deepEqual(ints.receiveManySync(8), [1, 2, 3]);
  assert.throws(() => revived.sendSync(0.5), { code: 'ERR_SHARED_UNSUPPORTED_VALUE' });
  assert.equal(Channel.from(structuredClone(new Channel({ type: 'float64' }))).type, 'float64');
  // A header whose type word is unknown is not a channel.
  const bad = structuredClone(new Channel({ type: 'int32' }));
  new Int32Array(bad.buffer)[5] = 7;
  assert.throws(() => Channel.from(bad), { code: 'ERR_SHARED_INVALID_HANDLE' });
});
