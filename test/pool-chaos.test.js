// Thousands of tasks against a module that randomly throws, throws
// non-Errors, exits, and hangs: every promise settles with its result or a
// coded error, no task runs twice, and the pool serves normally afterwards.
// Worker processes are also killed with SIGKILL from outside, mid-run.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Pool } from 'spindle';
import { childPids, fixture, shared, threadCount, within } from './helpers.js';

export function chaosPlan(n, seed = 42) {
  let s = seed;
  const rand = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  return Array.from({ length: n }, () => {
    const r = rand();
    if (r < 0.01) return 'exit';
    if (r < 0.02) return 'hang';
    if (r < 0.03) return 'hang-async';
    if (r < 0.15) return 'throw';
    if (r < 0.25) return 'nonerror';
    if (r < 0.5) return 'async';
    return 'ok';
  });
}

export const expectedCode = {
  exit: 'ERR_WORKER_CRASHED',
  hang: 'ERR_TASK_TIMEOUT',
  'hang-async': 'ERR_TASK_TIMEOUT',
  nonerror: 'ERR_TASK_NON_ERROR_THROWN',
};

/**
 * Runs `n` chaos tasks. Processes share no memory, so runs are counted in a
 * file there, and `kills` random workers are SIGKILLed from outside meanwhile.
 */
export async function chaos(options, n = 2000, kills = 0) {
  const baseline = threadCount();
  const pool = new Pool({ worker: fixture('pool/chaos.js'), maxWorkers: 2, abortGrace: 20, ...options });
  const plan = chaosPlan(n);
  const processes = options.runtime === 'process';
  const file = join(tmpdir(), `spindle-chaos-${process.pid}-${Date.now()}`);
  if (processes) writeFileSync(file, '');
  const counts = processes ? file : shared(n);
  let settledCount = 0;
  const runs = plan.map((kind, i) =>
    pool
      .run('chaos', [counts, i, kind], kind.startsWith('hang') ? { timeout: 100 } : undefined)
      .finally(() => settledCount++),
  );
  const killed = [];
  const killer = setInterval(() => {
    const pids = childPids();
    // spread the kills over the run: one each time another n / (kills + 1) tasks settled
    if (killed.length >= kills || settledCount < ((killed.length + 1) * n) / (kills + 1) || pids.length === 0) return;
    const pid = pids[Math.floor(Math.random() * pids.length)];
    process.kill(pid, 'SIGKILL');
    killed.push(pid);
  }, 5);
  const settled = await within(Promise.allSettled(runs), 120_000, 'chaos run');
  clearInterval(killer);
  const ran = processes ? new Array(n).fill(0) : counts;
  if (processes) for (const i of readFileSync(file, 'utf8').split('\n').filter(Boolean)) ran[Number(i)]++;
  // With several tasks per worker, the tasks running beside one that kills
  // its worker die with it; a worker killed from outside takes the task it
  // was running (or, for all the pool can tell, about to run) with it.
  const collateral = (options.concurrency ?? 1) > 1;
  // A task that may have started when its worker died fails with it, whether
  // or not it got to run: never run twice is the promise, not run once. And a
  // process shares no memory, so when a task starts is inferred (when the
  // result before it arrives): on a slow machine, or behind a task that blocks
  // its process, a task may time out before it ran.
  const inferred = processes;
  let killedTasks = 0;
  settled.forEach((s, i) => {
    const kind = plan[i];
    const code = s.reason?.code;
    assert.ok(ran[i] <= 1, `task ${i} (${kind}) ran ${ran[i]} times`);
    if (code === 'ERR_WORKER_CRASHED' && s.reason.signal === 'SIGKILL') {
      killedTasks++;
      return;
    }
    if (collateral && code === 'ERR_WORKER_CRASHED') {
      if (!processes) assert.equal(ran[i], 1, `task ${i} (${kind}) crashed without running`); // claims are exact
      return;
    }
    if (!(inferred && code === 'ERR_TASK_TIMEOUT')) assert.equal(ran[i], 1, `task ${i} (${kind}) ran ${ran[i]} times`);
    if (kind === 'ok' || kind === 'async') {
      assert.equal(s.status, 'fulfilled', `task ${i} (${kind}): ${s.reason?.message}`);
      assert.equal(s.value, i);
    } else if (kind === 'throw') {
      assert.equal(s.reason?.message, `boom ${i}`);
    } else {
      assert.equal(code, expectedCode[kind], `task ${i} (${kind}): ${s.reason?.message}`);
    }
  });
  assert.equal(killed.length, kills, 'every planned kill happened');
  assert.ok(killedTasks <= kills * (options.concurrency ?? 1), `${killedTasks} tasks died of ${kills} kills`);
  // and the pool still serves
  const after = await within(
    Promise.all(
      Array.from({ length: 200 }, (_, i) => pool.run('chaos', [processes ? file : shared(1), 0, 'ok']).then(() => i)),
    ),
    20_000,
    'after chaos',
  );
  assert.equal(after.length, 200);
  await within(pool.destroy(), 10_000, 'destroy');
  return { baseline, threads: threadCount(), children: childPids() };
}

test('chaos: thread runtime', { timeout: 150_000 }, async () => {
  const { baseline, threads } = await chaos({});
  assert.equal(threads, baseline, 'no worker thread left after destroy()');
});

test('chaos: thread runtime, 4 async tasks per worker', { timeout: 150_000 }, async () => {
  const { baseline, threads } = await chaos({ concurrency: 4 }, 1000);
  assert.equal(threads, baseline);
});

test('chaos: process runtime, with workers killed from outside', { timeout: 150_000 }, async () => {
  const { children } = await chaos({ runtime: 'process' }, 1000, 5);
  assert.deepEqual(children, [], 'no worker process left after destroy()');
});

test('chaos: process runtime, 4 async tasks per worker, with workers killed from outside', {
  timeout: 150_000,
}, async () => {
  const { children } = await chaos({ runtime: 'process', concurrency: 4 }, 500, 3);
  assert.deepEqual(children, []);
});
