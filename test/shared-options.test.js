// Options of spindle/shared: unknown names refused, durations for every wait
// timeout, the exported error classes, and fuzzing of every options object.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Barrier,
  Channel,
  Condition,
  Latch,
  Mutex,
  reviveShared,
  Semaphore,
  SharedAbortedError,
  SharedChannelClosedError,
  SharedInvalidHandleError,
  SharedLatchUnderflowError,
  SharedNotLockedError,
  SharedRecordTooLargeError,
  SharedSemaphoreOverflowError,
  SharedTimeoutError,
  SharedUnsupportedValueError,
} from 'spindle/shared';
import { MAX_DURATION, parseDuration } from '../dist/util/duration.js';
import { failure } from './fixtures/shared/helpers.js';
import { acceptedOrCoded, anyValue, check, fc, optionsOf } from './helpers/fuzz.js';

// The one rule (util/known.ts): err.option is the unknown name, the message says where it was.
function assertUnknown(fn, option) {
  assert.throws(
    fn,
    (e) => e.code === 'ERR_INVALID_OPTION' && e.option === option && e.message.includes(`Unknown option \`${option}\``),
  );
}

test('unknown option names are refused, naming the option (conventions rule 7)', async () => {
  assertUnknown(() => new Channel({ capacty: 8 }), 'capacty');
  assertUnknown(() => new Semaphore(1, { maximum: 2 }), 'maximum');
  const m = new Mutex();
  assertUnknown(() => m.lockSync({ timout: 10 }), 'timout');
  const rejected = await failure(() => m.lock({ timout: 10 }));
  assert.equal(rejected.code, 'ERR_INVALID_OPTION');
  assert.equal(rejected.option, 'timout');
  assert.equal(m.locked, false, 'nothing was taken');
  assertUnknown(() => new Latch(0).waitSync({ deadline: 5 }), 'deadline');
  assertUnknown(() => new Channel().values({ timeout: 5 }), 'timeout'); // iteration takes a signal only
  assertUnknown(() => reviveShared({}, { deeep: true }), 'deeep');
  assertUnknown(() => new Channel({ 'bad key\n': 1 }), 'bad key\n');
  // A Proxy whose traps throw is refused with the coded error, not the trap's error.
  const hostile = new Proxy(
    {},
    {
      ownKeys() {
        throw new Error('trap');
      },
    },
  );
  assert.throws(() => m.lockSync(hostile), { code: 'ERR_INVALID_OPTION', option: 'options' });
  assert.throws(() => reviveShared({}, { deep: 'yes' }), { code: 'ERR_INVALID_OPTION', option: 'options.deep' });
});

test('wait timeouts are durations: ms or a string with a unit, at most 2^31-1 ms, Infinity waits forever', async () => {
  const m = new Mutex();
  const held = m.lockSync();
  const sync = (() => {
    try {
      m.lockSync({ timeout: '20ms' });
    } catch (error) {
      return error;
    }
  })();
  assert.ok(sync instanceof SharedTimeoutError);
  assert.equal(sync.timeout, 20);
  const async = await failure(() => m.lock({ timeout: '0.02s' }));
  assert.ok(async instanceof SharedTimeoutError);
  assert.equal(async.timeout, 20);
  for (const timeout of [2 ** 31, '25d', '600h', -1, '10', 'Infinity', Number.NaN]) {
    assert.throws(() => m.lockSync({ timeout }), { code: 'ERR_INVALID_OPTION', option: 'options.timeout' });
    assert.equal((await failure(() => m.lock({ timeout }))).option, 'options.timeout');
  }
  assert.match((await failure(() => m.lock({ timeout: 2 ** 31 }))).message, /at most 2147483647 ms.*Infinity/);
  // Infinity and the largest duration are accepted: they wait until the holder lets go.
  const forever = m.lock({ timeout: Number.POSITIVE_INFINITY });
  const longest = m.lock({ timeout: MAX_DURATION });
  held.release();
  (await forever).release();
  (await longest).release();
  assert.equal(m.locked, false);
});

test('failures are the exported classes, with literal names', async () => {
  const expect = (error, Class, name) => {
    assert.ok(error instanceof Class, `${error?.name} is a ${name}`);
    assert.equal(error.name, name);
  };
  expect(
    (() => {
      try {
        new Mutex().unlock();
      } catch (e) {
        return e;
      }
    })(),
    SharedNotLockedError,
    'SharedNotLockedError',
  );
  const s = new Semaphore(1, { max: 1 });
  assert.throws(
    () => s.release(),
    (e) => e instanceof SharedSemaphoreOverflowError && e.name === 'SharedSemaphoreOverflowError',
  );
  assert.throws(
    () => new Latch(0).countDown(),
    (e) => e instanceof SharedLatchUnderflowError && e.name === 'SharedLatchUnderflowError',
  );
  assert.throws(
    () => Mutex.from({}),
    (e) => e instanceof SharedInvalidHandleError && e.name === 'SharedInvalidHandleError',
  );
  const ch = new Channel({ capacity: 1, maxRecordSize: 16 });
  assert.throws(
    () => ch.trySend('x'.repeat(100)),
    (e) => e instanceof SharedRecordTooLargeError && e.name === 'SharedRecordTooLargeError',
  );
  assert.throws(
    () => ch.trySend(() => {}),
    (e) => e instanceof SharedUnsupportedValueError && e.name === 'SharedUnsupportedValueError',
  );
  expect(await failure(() => ch.receive({ signal: AbortSignal.abort() })), SharedAbortedError, 'SharedAbortedError');
  ch.close();
  expect(await failure(() => ch.receive()), SharedChannelClosedError, 'SharedChannelClosedError');
});

// ---------------------------------------------------------------- fuzz

const WAIT_CODES = ['ERR_INVALID_OPTION', 'ERR_SHARED_TIMEOUT', 'ERR_SHARED_ABORTED'];

test('fuzz: constructors accept their arguments and work, or refuse them naming the option', async () => {
  await check(
    fc.asyncProperty(anyValue(), optionsOf(['max']), async (permits, options) => {
      const r = await acceptedOrCoded(() => new Semaphore(permits, options));
      if (!r.ok) return;
      const s = r.value;
      assert.ok(s.available === permits); // === : -0 permits is 0
      if (permits > 0) s.tryAcquire().release();
      else assert.equal(s.tryAcquire(), undefined);
      assert.ok(Semaphore.from(structuredClone(s)).available === permits);
    }),
  );
  await check(
    fc.asyncProperty(anyValue(), async (count) => {
      const latch = await acceptedOrCoded(() => new Latch(count));
      if (latch.ok) assert.ok(Latch.from(structuredClone(latch.value)).count === count);
      const barrier = await acceptedOrCoded(() => new Barrier(count));
      if (barrier.ok) assert.ok(Barrier.from(structuredClone(barrier.value)).parties === count);
    }),
  );
});

test('fuzz: Channel options are accepted and work, or are refused naming the option', async () => {
  await check(
    fc.asyncProperty(optionsOf(['capacity', 'maxRecordSize']), async (options) => {
      // Valid sizes past 16 MiB would only test the allocator.
      // null means "the default", as undefined does (a destructuring default only replaces undefined)
      const given = typeof options === 'object' && options !== null ? options : {};
      const capacity = given.capacity ?? 128;
      const maxRecordSize = given.maxRecordSize ?? 1024;
      fc.pre(
        !(typeof capacity === 'number' && typeof maxRecordSize === 'number' && capacity * maxRecordSize > 2 ** 24),
      );
      const r = await acceptedOrCoded(() => new Channel(options));
      if (!r.ok) return;
      const ch = Channel.from(structuredClone(r.value));
      assert.equal(ch.capacity, capacity);
      assert.equal(ch.maxRecordSize, maxRecordSize);
      assert.ok(ch.trySend(7));
      assert.equal(r.value.receiveSync({ timeout: 0 }), 7);
    }),
  );
});

test('fuzz: wait options are accepted and work, or are refused naming the option', async () => {
  const mutex = new Mutex();
  const channel = new Channel({ capacity: 1 });
  await check(
    fc.asyncProperty(fc.oneof(anyValue(), optionsOf(['timeout', 'signal'])), async (options) => {
      // Calls that need not wait: they succeed whatever the timeout, or fail with a code.
      const lock = await acceptedOrCoded(() => mutex.lockSync(options), { codes: WAIT_CODES });
      if (lock.ok) lock.value.release();
      channel.sendSync('x');
      const got = await acceptedOrCoded(() => channel.receiveSync(options), { codes: WAIT_CODES });
      if (got.ok) assert.equal(got.value, 'x');
      else channel.tryReceive();
      // A call that waits until the next turn of the loop.
      const latch = new Latch(1);
      setImmediate(() => latch.countDown());
      await acceptedOrCoded(() => latch.wait(options), { codes: WAIT_CODES });
      await acceptedOrCoded(() => reviveShared(new Mutex(), options), { codes: WAIT_CODES });
      assert.equal(mutex.locked, false);
      assert.equal(channel.size, 0);
    }),
  );
});

test('fuzz: an accepted timeout is the duration the parser reads', async () => {
  const mutex = new Mutex();
  const held = mutex.lockSync();
  const small = fc.oneof(
    fc.integer({ min: 0, max: 3 }),
    fc.double({ min: 0, max: 3, noNaN: true }),
    fc.constantFrom('0ms', '1ms', '2.5ms', '0.001s', ' 3ms '),
  );
  await check(
    fc.asyncProperty(small, fc.boolean(), async (timeout, sync) => {
      const error = await failure(() => (sync ? mutex.lockSync({ timeout }) : mutex.lock({ timeout })));
      assert.ok(error instanceof SharedTimeoutError, String(error));
      assert.equal(error.timeout, parseDuration('t', timeout));
    }),
  );
  held.release();
});

test('Condition waits check their options too', async () => {
  const m = new Mutex();
  const c = new Condition();
  const g = m.lockSync();
  assertUnknown(() => c.waitSync(m, { timeOut: 1 }), 'timeOut');
  assert.equal((await failure(() => c.wait(m, { timeout: '1ms' }))).code, 'ERR_SHARED_TIMEOUT');
  assert.equal(m.locked, true, 'a timed-out condition wait holds the mutex again');
  g.release();
});
