// Worker lifecycle hooks that peers have (issue 16): 'workerCreate' (with the
// pid of a process), 'workerReady' once the modules are loaded (poolifier's
// onlineHandler), 'workerExit'; per-worker data from a workerData function.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Pool } from 'spindle';
import { eachRuntime, fixture, rejectsCode, track, within } from './helpers.js';

const T = { timeout: 30_000 };
const tasks = fixture('pool/tasks.js');

eachRuntime(
  'workerCreate, then workerReady, then workerExit, each once per worker, with its id and pid',
  T,
  async (t, runtime) => {
    const pool = track(t, new Pool({ worker: tasks, runtime, maxWorkers: 2 }));
    const events = [];
    for (const name of ['workerCreate', 'workerReady', 'workerExit'])
      pool.on(name, (e) => events.push([name, e.id, e.pid]));
    const ready = within(once(pool, 'workerReady'), 20_000, 'workerReady');
    assert.equal(await pool.run('whoami'), 1);
    await ready;
    await pool.close();
    const mine = events.filter((e) => e[1] === 1);
    assert.deepEqual(
      mine.map((e) => e[0]),
      ['workerCreate', 'workerReady', 'workerExit'],
    );
    const pids = new Set(mine.map((e) => e[2]));
    assert.equal(pids.size, 1, 'the same pid in every event');
    const [pid] = pids;
    if (runtime === 'thread') assert.equal(pid, undefined);
    else assert.ok(Number.isInteger(pid) && pid > 0);
  },
);

eachRuntime('workerData as a function gives each worker its own data, made as it starts', T, async (t, runtime) => {
  const made = [];
  const pool = track(
    t,
    new Pool({
      worker: tasks,
      runtime,
      minWorkers: 2,
      maxWorkers: 2,
      workerData: ({ workerId }) => {
        made.push(workerId);
        return { port: 9000 + workerId };
      },
    }),
  );
  const outcomes = await pool.broadcast('data');
  assert.deepEqual(
    outcomes.map((o) => [o.workerId, o.value]),
    [
      [1, { port: 9001 }],
      [2, { port: 9002 }],
    ],
  );
  assert.deepEqual(made, [1, 2]);
});

eachRuntime('a workerData function that throws fails the pool with ERR_WORKER_LOAD', T, async (t, runtime) => {
  const pool = track(
    t,
    new Pool({
      worker: tasks,
      runtime,
      workerData: () => {
        throw new Error('no data');
      },
    }),
  );
  const err = await rejectsCode(pool.run('add', [1, 2]), 'ERR_WORKER_LOAD');
  assert.match(err.cause.message, /no data/);
});
