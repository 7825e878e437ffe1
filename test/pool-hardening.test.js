// Pool defects found by trying to break it (issue 11), one regression test
// each: option ranges that took the host down, durations Node's timers would
// cut to 1 ms, timeouts that fired before a task started, exported classes
// listed as tasks, thenables that killed their worker, and errors of the
// user's own classes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool } from 'spindle';
import { Inflight } from '../dist/runtime/process/inflight.js';
import { MyError, NamedError } from './fixtures/pool/errors.js';
import { beacon } from './helpers/beacon.js';
import { noWarnings } from './helpers/fuzz.js';
import { eachRuntime, fixture, rejectsCode, shared, track, waitAtLeast, within } from './helpers.js';

const T = { timeout: 30_000 };
const tasks = fixture('pool/tasks.js');
const hardening = fixture('pool/hardening.js');

function refused(options, option, message) {
  assert.throws(
    () => new Pool(options),
    (e) => {
      assert.equal(e.code, 'ERR_INVALID_OPTION', `${option}: ${e.message}`);
      assert.equal(e.option, option);
      if (message) assert.match(e.message, message);
      return true;
    },
  );
}

test('concurrency and maxWorkers have a sane range (1e9 crashed the host on the first run())', () => {
  refused({ worker: tasks, concurrency: 1e9 }, 'concurrency', /from 1 to 10000/);
  refused({ worker: tasks, concurrency: 10_001 }, 'concurrency');
  refused({ worker: tasks, maxWorkers: 1e6 }, 'maxWorkers', /at most 1024/);
  refused({ worker: tasks, minWorkers: 2000, maxWorkers: 1024 }, 'minWorkers');
  refused({ worker: tasks, maxQueue: 0 }, 'maxQueue', /an integer >= 1/);
  // the bounds themselves are accepted (nothing starts without a task)
  assert.equal(new Pool({ worker: tasks, concurrency: 10_000, maxWorkers: 1024 }).options.concurrency, 10_000);
});

eachRuntime('a pool at the largest concurrency runs tasks with bookkeeping sized to use', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker: tasks, runtime, maxWorkers: 1, concurrency: 10_000 }));
  const results = await within(
    Promise.all(Array.from({ length: 50 }, (_, i) => pool.run('addAsync', [i, 1]))),
    20_000,
    'tasks',
  );
  assert.deepEqual(
    results,
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
});

test("a process worker's in-flight bookkeeping grows with use, not with its bound", () => {
  // the bound for concurrency 10 000: concurrency + the most sent ahead
  const flight = new Inflight(18_192, 10_000);
  const sizes = () => [flight.next.length, flight.prev.length, flight.startAt.length, flight.dead.length];
  assert.deepEqual(sizes(), [16, 16, 16, 16]);
  const tasks = Array.from({ length: 100 }, (_, id) => ({ id, slot: -1 }));
  for (const t of tasks) flight.add(t);
  assert.deepEqual(sizes(), [128, 128, 128, 128]);
  assert.deepEqual(
    flight.list().map((t) => t.id),
    tasks.map((t) => t.id),
  );
  for (const t of tasks.slice(0, 50)) assert.equal(flight.remove(t), true);
  for (const t of tasks.slice(0, 50)) flight.add({ id: t.id + 1000, slot: -1 });
  assert.equal(flight.size, 100);
  assert.deepEqual(sizes(), [128, 128, 128, 128], 'freed slots are reused before new ones are made');
});

test('every duration option refuses more than 2^31-1 ms with a coded error, and no Node warning', async () => {
  await noWarnings(async () => {
    for (const option of ['taskTimeout', 'idleTimeout', 'abortGrace', 'loadTimeout', 'grace']) {
      refused({ worker: tasks, [option]: 3e9 }, option, /at most 2147483647 ms/);
      refused({ worker: tasks, [option]: '25d' }, option, /at most 2147483647 ms/);
    }
    refused({ worker: tasks, runtime: 'process', killGrace: 2 ** 31 }, 'killGrace', /at most 2147483647 ms/);
    const pool = new Pool({ worker: tasks, maxWorkers: 1 });
    const e = await rejectsCode(pool.run('add', [1, 2], { timeout: 3e9 }), 'ERR_INVALID_OPTION');
    assert.equal(e.option, 'options.timeout');
    const c = await rejectsCode(pool.close({ grace: 3e9 }), 'ERR_INVALID_OPTION');
    assert.equal(c.option, 'grace');
    assert.deepEqual(await pool.close(), { clean: true });
  });
});

test('where a duration option allows never, Infinity (and 0 for task timeouts) says so', T, async (t) => {
  const pool = track(
    t,
    new Pool({ worker: tasks, maxWorkers: 1, idleTimeout: Infinity, loadTimeout: Infinity, taskTimeout: 0 }),
  );
  assert.equal(pool.options.taskTimeout, 0);
  assert.equal(await pool.run('add', [1, 2], { timeout: Infinity }), 3);
  assert.equal(await pool.run('add', [1, 2], { timeout: 0 }), 3);
  assert.equal(await pool.run('add', [1, 2], { timeout: '1.5s' }), 3);
});

eachRuntime(
  'a timeout counts from the start: tasks waiting at a busy worker are never timed out',
  T,
  async (t, runtime) => {
    const worker = runtime === 'thread' ? tasks : fixture('process/tasks.js');
    const pool = track(t, new Pool({ worker, runtime, maxWorkers: 1 }));
    // tiny tasks first: the pool learns they are short and sends many ahead
    await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run('add', [i, 1])));
    let release;
    let blocker;
    if (runtime === 'thread') {
      const gate = shared(2);
      blocker = pool.run('gated', [gate, 'done']);
      await waitAtLeast(gate, 1, 1);
      release = () => {
        Atomics.store(gate, 0, 1);
        Atomics.notify(gate, 0);
      };
    } else {
      const b = await beacon();
      t.after(() => b.close());
      blocker = pool.run('gatedBy', [b.path, 'held', 'done']);
      await b.seen('held');
      release = () => b.release('held');
    }
    const runs = Array.from({ length: 20 }, (_, i) => pool.run('echo', [i], { timeout: 1 }).catch((e) => e));
    // Ordering, not timing: their 1 ms timers were armed (when the batch was
    // sent, at the pump) before this 5 ms one, so they fire first, some twice.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
    assert.ok(pool.stats.running > 1, 'tasks were sent ahead to the busy worker');
    assert.equal(pool.stats.failed, 0, 'no task timed out before it started');
    release();
    assert.equal(await blocker, 'done');
    for (const r of await within(Promise.all(runs), 20_000, 'runs')) {
      if (r instanceof Error) assert.equal(r.code, 'ERR_TASK_TIMEOUT');
    }
  },
);

test('exported classes are not tasks: taskNames() leaves them out, run() answers ERR_TASK_NOT_FOUND', T, async (t) => {
  const pool = track(t, new Pool({ worker: hardening, maxWorkers: 1 }));
  const names = await pool.taskNames();
  assert.ok(names.includes('add'));
  assert.ok(!names.includes('Helper'), `taskNames: ${names}`);
  await rejectsCode(pool.run('Helper', []), 'ERR_TASK_NOT_FOUND');
});

eachRuntime(
  'an exported class sent before the names are known is ERR_TASK_NOT_FOUND from the worker',
  T,
  async (t, runtime) => {
    const pool = track(t, new Pool({ worker: hardening, runtime, maxWorkers: 1 }));
    await rejectsCode(pool.run('Helper', []), 'ERR_TASK_NOT_FOUND');
    assert.equal(await pool.run('add', [1, 2]), 3);
  },
);

eachRuntime('a thenable whose then() throws rejects that task only; the worker survives', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker: hardening, runtime, maxWorkers: 1 }));
  const exits = [];
  pool.on('workerExit', (e) => exits.push(e));
  const pid = await pool.run('pid');
  await assert.rejects(pool.run('thenableThrows'), { name: 'Error', message: 'then threw' });
  await assert.rejects(pool.run('thenableGetterThrows'), { name: 'RangeError', message: 'then getter threw' });
  await assert.rejects(pool.run('thenableFunction'), { name: 'TypeError', message: 'function then threw' });
  assert.equal(await pool.run('thenableTwice'), 'first', 'only its first outcome counts');
  assert.equal(await pool.run('add', [1, 2]), 3);
  assert.equal(await pool.run('pid'), pid);
  assert.deepEqual(exits, [], 'no worker died');
});

test('resourceLimits are checked: key, type and range', () => {
  refused(
    { worker: tasks, resourceLimits: { maxOldGenerationSizeMb: 'lots' } },
    'resourceLimits.maxOldGenerationSizeMb',
  );
  refused({ worker: tasks, resourceLimits: { maxOldGenerationSizeMb: -5 } }, 'resourceLimits.maxOldGenerationSizeMb');
  refused({ worker: tasks, resourceLimits: { maxOldGenerationSizeMb: 4 } }, 'resourceLimits.maxOldGenerationSizeMb');
  // a stack this small crashes the whole process when the thread starts
  refused({ worker: tasks, resourceLimits: { stackSizeMb: 0.2 } }, 'resourceLimits.stackSizeMb');
  refused({ worker: tasks, resourceLimits: { stackSizeMb: 65_536 } }, 'resourceLimits.stackSizeMb');
  refused(
    { worker: tasks, resourceLimits: { maxYoungGenerationSizeMb: Number.NaN } },
    'resourceLimits.maxYoungGenerationSizeMb',
  );
  refused({ worker: tasks, resourceLimits: { codeRangeSizeMb: Infinity } }, 'resourceLimits.codeRangeSizeMb');
  refused({ worker: tasks, resourceLimits: { heapMb: 64 } }, 'heapMb', /Unknown option `heapMb` in `resourceLimits`/);
  const ok = new Pool({ worker: tasks, resourceLimits: { maxOldGenerationSizeMb: 64, stackSizeMb: 4 } });
  assert.deepEqual(ok.options.resourceLimits, { maxOldGenerationSizeMb: 64, stackSizeMb: 4 });
});

eachRuntime(
  "a task's error of the user's own class keeps its class name, and registered classes are rebuilt",
  T,
  async (t, runtime) => {
    const plain = track(t, new Pool({ worker: hardening, runtime, maxWorkers: 1 }));
    const e1 = await plain.run('throwMine', ['mine']).catch((e) => e);
    assert.ok(e1 instanceof Error);
    assert.ok(!(e1 instanceof MyError), 'not registered: not rebuilt as the class');
    assert.equal(e1.name, 'MyError', 'the class name stays visible');
    assert.equal(e1.message, 'mine');
    assert.equal(e1.code, 'E_MINE');
    assert.equal(e1.cause.name, 'RangeError');

    const registered = track(
      t,
      new Pool({ worker: hardening, runtime, maxWorkers: 1, errorClasses: [MyError, NamedError] }),
    );
    const e2 = await registered.run('throwMine', ['mine']).catch((e) => e);
    assert.ok(e2 instanceof MyError, 'registered: rebuilt as the class');
    assert.equal(e2.message, 'mine');
    assert.equal(e2.shout, 'MINE', "the class's own members work");
    assert.equal(e2.code, 'E_MINE');
    assert.ok(e2.cause instanceof RangeError);
    assert.match(e2.stack, /throwMine/, "the worker's stack");
    const e3 = await registered.run('throwMine', ['named']).catch((e) => e);
    assert.ok(e3 instanceof NamedError);
    assert.equal(e3.name, 'NamedError');
    assert.deepEqual(e3.detail, { n: 1 });
  },
);

test('errorClasses is checked', () => {
  refused({ worker: tasks, errorClasses: MyError }, 'errorClasses');
  refused({ worker: tasks, errorClasses: [Object] }, 'errorClasses[0]');
  refused({ worker: tasks, errorClasses: [MyError, 'NamedError'] }, 'errorClasses[1]');
  const Other = class MyError extends Error {};
  refused({ worker: tasks, errorClasses: [MyError, Other] }, 'errorClasses[1]', /the only class named 'MyError'/);
});
