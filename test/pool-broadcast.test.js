// pool.broadcast() (issue 16): a task once on every worker that takes tasks,
// one settled outcome per worker; its tasks stay on their worker (never taken
// back to run elsewhere, never re-run after a crash); a pool with no worker
// starts one, as run() would.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool } from 'spindle';
import { eachRuntime, fixture, rejectsCode, shared, track, waitAtLeast, within } from './helpers.js';

const T = { timeout: 30_000 };
const worker = fixture('pool/broadcast.js');

eachRuntime('every live worker runs the task once; outcomes come by worker id', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker, runtime, minWorkers: 2, maxWorkers: 2 }));
  const outcomes = await within(pool.broadcast('whoami'), 20_000, 'broadcast');
  assert.deepEqual(outcomes, [
    { workerId: 1, status: 'fulfilled', value: 1 },
    { workerId: 2, status: 'fulfilled', value: 2 },
  ]);
  const runs = await pool.broadcast('runsHere');
  assert.deepEqual(
    runs.map((o) => o.value),
    [1, 1],
    'once per worker',
  );
});

eachRuntime('with no worker running, broadcast starts one, as run() would', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker, runtime, maxWorkers: 2 }));
  assert.equal(pool.stats.workers, 0);
  const outcomes = await within(pool.broadcast('whoami'), 20_000, 'broadcast');
  assert.deepEqual(outcomes, [{ workerId: 1, status: 'fulfilled', value: 1 }]);
  // inline functions too, on a pool that knows its task names already
  const inline = await pool.broadcast((x) => x * 2, [21]);
  assert.deepEqual(inline, [{ workerId: 1, status: 'fulfilled', value: 42 }]);
});

eachRuntime('a task that fails on one worker is that worker’s outcome, with its error', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker, runtime, minWorkers: 2, maxWorkers: 2 }));
  await pool.ready();
  const [one, two] = await pool.broadcast('failOn', [2]);
  assert.deepEqual(one, { workerId: 1, status: 'fulfilled', value: 1 });
  assert.equal(two.workerId, 2);
  assert.equal(two.status, 'rejected');
  assert.equal(two.reason.code, 'E_REFUSED');
  assert.ok(two.reason instanceof Error);
});

eachRuntime('a busy worker gets the task after what it runs, never another worker', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker, runtime, minWorkers: 2, maxWorkers: 2 }));
  await pool.ready();
  const busy = pool.run('hold', [1500]);
  const outcomes = await within(pool.broadcast('whoami'), 20_000, 'broadcast');
  const held = await busy;
  assert.deepEqual(
    outcomes.map((o) => [o.workerId, o.value]),
    [
      [1, 1],
      [2, 2],
    ],
    `worker ${held} was busy`,
  );
});

test('an idle worker never takes a broadcast task back from a blocked one [thread]', T, async (t) => {
  const pool = track(t, new Pool({ worker, minWorkers: 2, maxWorkers: 2 }));
  await pool.ready();
  const gate = shared(3);
  const blocked = pool.run('gated', [gate]);
  await waitAtLeast(gate, 1, 1);
  const blockedId = Atomics.load(gate, 2);
  const outcomes = pool.broadcast('whoami');
  // the free worker runs its broadcast task and this one (taken back if it was
  // sent ahead to the blocked worker), then runs dry and looks for more to take
  assert.notEqual(await within(pool.run('whoami'), 10_000, 'run on the free worker'), blockedId);
  await within(pool.run('whoami'), 10_000, 'second run on the free worker');
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  assert.equal(await blocked, blockedId);
  for (const o of await outcomes) assert.deepEqual(o, { workerId: o.workerId, status: 'fulfilled', value: o.workerId });
});

eachRuntime(
  'a worker that dies before running it: that outcome is ERR_WORKER_CRASHED, not a re-run',
  T,
  async (t, runtime) => {
    const pool = track(t, new Pool({ worker, runtime, minWorkers: 2, maxWorkers: 2 }));
    pool.on('error', () => {});
    await pool.ready();
    const exits = [];
    pool.on('workerExit', (e) => exits.push(e));
    let started;
    const running = new Promise((resolve) => {
      started = resolve;
    });
    const dying = pool.run('exitAfter', [400], { onProgress: started });
    await within(running, 10_000, 'exitAfter started'); // started: no idle worker can take it back now
    const outcomes = await within(pool.broadcast('whoami'), 20_000, 'broadcast');
    await rejectsCode(dying, 'ERR_WORKER_CRASHED');
    const dead = exits.find((e) => !e.expected);
    assert.ok(dead, 'a worker died');
    assert.equal(outcomes.length, 2);
    for (const o of outcomes) {
      if (o.workerId === dead.id) {
        assert.equal(o.status, 'rejected');
        assert.equal(o.reason.code, 'ERR_WORKER_CRASHED');
        assert.equal(o.reason.workerId, dead.id);
      } else {
        assert.deepEqual(o, { workerId: o.workerId, status: 'fulfilled', value: o.workerId });
      }
    }
    // the pool keeps serving, and the task ran once on the survivor only
    const runs = await pool.broadcast('runsHere');
    const survivor = runs.find((o) => o.workerId !== dead.id && o.workerId < 3);
    assert.equal(survivor.value, 1);
  },
);

test('more broadcasts than a worker holds at once wait their turn, in order, each once [thread]', T, async (t) => {
  const pool = track(t, new Pool({ worker, maxWorkers: 1 }));
  const gate = shared(3);
  const blocked = pool.run('gated', [gate]);
  await waitAtLeast(gate, 1, 1);
  const all = Array.from({ length: 150 }, () => pool.broadcast('whoami'));
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  await blocked;
  for (const outcomes of await within(Promise.all(all), 20_000, 'broadcasts')) {
    assert.deepEqual(outcomes, [{ workerId: 1, status: 'fulfilled', value: 1 }]);
  }
  assert.deepEqual(await pool.broadcast('runsHere'), [{ workerId: 1, status: 'fulfilled', value: 150 }]);
});

eachRuntime('timeout and signal apply to each worker’s task', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker, runtime, minWorkers: 2, maxWorkers: 2, abortGrace: 0 }));
  pool.on('error', () => {});
  await pool.ready();
  const timedOut = await within(pool.broadcast('hold', [10_000], { timeout: 100 }), 20_000, 'broadcast');
  assert.deepEqual(
    timedOut.map((o) => [o.status, o.reason?.code]),
    [
      ['rejected', 'ERR_TASK_TIMEOUT'],
      ['rejected', 'ERR_TASK_TIMEOUT'],
    ],
  );
  const ac = new AbortController();
  const aborted = pool.broadcast('hold', [10_000], { signal: ac.signal });
  setImmediate(() => ac.abort(new Error('enough')));
  for (const o of await within(aborted, 20_000, 'aborted broadcast')) {
    assert.equal(o.status, 'rejected');
    assert.equal(o.reason.code, 'ERR_TASK_ABORTED');
  }
  await rejectsCode(pool.broadcast('whoami', [], { signal: AbortSignal.abort() }), 'ERR_TASK_ABORTED');
});

eachRuntime(
  'close() lets broadcast tasks finish; destroy() makes them ERR_POOL_DESTROYED outcomes',
  T,
  async (t, runtime) => {
    const pool = track(t, new Pool({ worker, runtime, minWorkers: 2, maxWorkers: 2 }));
    await pool.ready();
    const finishing = pool.broadcast('hold', [100]);
    assert.deepEqual(await pool.close(), { clean: true });
    assert.deepEqual(
      (await finishing).map((o) => o.status),
      ['fulfilled', 'fulfilled'],
    );
    await rejectsCode(pool.broadcast('whoami'), 'ERR_POOL_CLOSED');

    const other = track(t, new Pool({ worker, runtime, minWorkers: 1, maxWorkers: 1 }));
    await other.ready();
    const cut = other.broadcast('hold', [10_000]);
    await new Promise((r) => setImmediate(r));
    await other.destroy();
    assert.deepEqual(
      (await cut).map((o) => [o.status, o.reason?.code]),
      [['rejected', 'ERR_POOL_DESTROYED']],
    );
  },
);

test(
  'bad input rejects (never throws) with a coded error; a module that does not load, with ERR_WORKER_LOAD',
  T,
  async (t) => {
    const pool = track(t, new Pool({ worker, maxWorkers: 1 }));
    await rejectsCode(pool.broadcast('nope'), 'ERR_TASK_NOT_FOUND');
    await rejectsCode(pool.broadcast(42), 'ERR_INVALID_OPTION');
    await rejectsCode(pool.broadcast('whoami', 'x'), 'ERR_INVALID_OPTION');
    const bad = await rejectsCode(pool.broadcast('whoami', [], { priority: 1 }), 'ERR_INVALID_OPTION');
    assert.equal(bad.option, 'priority');
    await rejectsCode(pool.broadcast('whoami', [], { timeout: -1 }), 'ERR_INVALID_OPTION');
    await rejectsCode(pool.broadcast({ m() {} }.m), 'ERR_INVALID_OPTION');
    const broken = track(t, new Pool({ worker: fixture('pool/throws-at-load.js') }));
    await rejectsCode(broken.broadcast('anything'), 'ERR_WORKER_LOAD');
  },
);
