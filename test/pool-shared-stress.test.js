// Stress on the shared-memory path: thousands of tasks whose arguments and
// results travel through the rings, with random aborts (queued, sent ahead,
// running), timeouts, workers that crash mid-task, workers stopped over an
// ignored abort or timeout, and recycling after N tasks. Every promise settles with its
// result or the right coded error, no task runs twice, no finished task is
// lost, and the pool serves normally afterwards. Run with the shared path on
// and off: the guarantees are the same.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool } from '../dist/index.js';
import { fixture, shared, threadCount, within } from './helpers.js';

const worker = fixture('pool/shared-path.js');

function plan(n, seed) {
  let s = seed;
  const rand = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  return Array.from({ length: n }, () => {
    const r = rand();
    const kind =
      r < 0.004
        ? 'exit'
        : r < 0.007
          ? 'ignore'
          : r < 0.037
            ? 'wait'
            : r < 0.14
              ? 'throw'
              : r < 0.4
                ? 'async'
                : r < 0.42
                  ? 'spin'
                  : 'ok';
    // a 'wait' task ends only by abort or timeout; others are aborted at random
    const long = kind === 'wait' || kind === 'ignore';
    const abort = long ? rand() < 0.5 : rand() < 0.08;
    return { kind, abort, when: Math.floor(rand() * 4), timeout: long && !abort ? 30 : 0 };
  });
}

async function stress(sharedPath, options, n, seed) {
  const previous = process.env.SPINDLE_POOL_SHARED;
  process.env.SPINDLE_POOL_SHARED = sharedPath ? '1' : '0';
  const counts = shared(n + 200);
  const baseline = threadCount();
  const pool = new Pool({
    worker,
    maxWorkers: 2,
    abortGrace: 20,
    workerData: { counts },
    recycle: { afterTasks: 150 },
    ...options,
  });
  if (previous === undefined) delete process.env.SPINDLE_POOL_SHARED;
  else process.env.SPINDLE_POOL_SHARED = previous;
  const exits = [];
  pool.on('workerExit', (e) => exits.push(e));
  pool.on('error', () => {}); // a worker that crashed while idle is reported here
  const steps = plan(n, seed);
  const collateral = (options.concurrency ?? 1) > 1;
  const timers = [];
  const runs = steps.map((step, i) => {
    const controller = step.abort ? new AbortController() : undefined;
    const p = pool.run('chaos', [i, step.kind], {
      signal: controller?.signal,
      timeout: step.timeout || undefined,
    });
    if (controller) {
      // at once (queued), in a microtask (sent ahead), or a little later (running or done)
      if (step.when === 0) controller.abort(new Error(`stop ${i}`));
      else if (step.when === 1) queueMicrotask(() => controller.abort(new Error(`stop ${i}`)));
      else timers.push(setTimeout(() => controller.abort(new Error(`stop ${i}`)), step.when * 5));
    }
    return p;
  });
  const settled = await within(Promise.allSettled(runs), 120_000, 'stress run');
  for (const t of timers) clearTimeout(t);
  settled.forEach((s, i) => {
    const { kind, abort, timeout } = steps[i];
    const ran = Atomics.load(counts, i);
    const code = s.reason?.code;
    assert.ok(ran <= 1, `task ${i} (${kind}) ran ${ran} times`);
    // several tasks at a time: those running beside one that ends its worker die with it
    if (collateral && code === 'ERR_WORKER_CRASHED') {
      assert.equal(ran, 1, `task ${i} (${kind}) crashed without running`); // claims are exact
      return;
    }
    if (abort && code === 'ERR_TASK_ABORTED') return; // ran or not, it was stopped
    if (timeout && code === 'ERR_TASK_TIMEOUT') {
      assert.equal(ran, 1, `task ${i} timed out without running`);
      return;
    }
    assert.equal(ran, 1, `task ${i} (${kind}) ran ${ran} times: ${s.status} ${s.reason?.message}`);
    if (kind === 'exit') assert.equal(code, 'ERR_WORKER_CRASHED', `task ${i}: ${s.reason?.message}`);
    else if (kind === 'throw') assert.equal(s.reason?.message, `boom ${i}`);
    else if (kind === 'wait' || kind === 'ignore')
      assert.fail(`task ${i} (wait) settled ${s.status} ${s.reason?.message}`);
    else {
      assert.equal(s.status, 'fulfilled', `task ${i} (${kind}): ${s.reason?.message}`);
      assert.equal(s.value.i, i);
    }
  });
  assert.ok(
    exits.some((e) => e.expected && /recycled after 150 tasks/.test(e.detail)),
    'workers were recycled',
  );
  assert.ok(
    exits.some((e) => !e.expected),
    'workers crashed',
  );
  // and the pool still serves
  const after = await within(
    Promise.all(Array.from({ length: 200 }, (_, j) => pool.run('chaos', [n + j, 'ok']))),
    20_000,
    'after stress',
  );
  assert.deepEqual(
    after.map((r) => r.i),
    Array.from({ length: 200 }, (_, j) => n + j),
  );
  await within(pool.destroy(), 10_000, 'destroy');
  assert.ok(threadCount() <= baseline, 'no worker thread left after destroy()');
}

for (const sharedPath of [true, false]) {
  const label = sharedPath ? 'on' : 'off';
  test(`stress [shared ${label}]: 4000 tasks with aborts, timeouts, crashes and recycling`, { timeout: 150_000 }, () =>
    stress(sharedPath, {}, 4000, 7),
  );
  test(`stress [shared ${label}]: 2000 tasks, 4 at a time per worker`, { timeout: 150_000 }, () =>
    stress(sharedPath, { concurrency: 4 }, 2000, 11),
  );
}
