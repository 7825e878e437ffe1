// Thousands of tasks against a module that randomly throws, throws
// non-Errors, exits, and hangs: every promise settles with its result or a
// coded error, no task runs twice, and the pool serves normally afterwards.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool } from 'spindle';
import { fixture, shared, threadCount, within } from './helpers.js';

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
  nonerror: 'ERR_TASK_NON_ERROR',
};

export async function chaos(options, n = 2000) {
  const baseline = threadCount();
  const pool = new Pool({ worker: fixture('pool/chaos.js'), maxWorkers: 2, abortGrace: 20, ...options });
  const plan = chaosPlan(n);
  const counts = shared(n);
  const runs = plan.map((kind, i) =>
    pool.run('chaos', [counts, i, kind], kind.startsWith('hang') ? { timeout: 100 } : undefined),
  );
  const settled = await within(Promise.allSettled(runs), 120_000, 'chaos run');
  // With several tasks per worker, the tasks running beside one that kills
  // its worker die with it: that is the only other outcome allowed.
  const collateral = (options.concurrency ?? 1) > 1;
  settled.forEach((s, i) => {
    const kind = plan[i];
    if (collateral && s.reason?.code === 'ERR_WORKER_CRASHED') return;
    if (kind === 'ok' || kind === 'async') {
      assert.equal(s.status, 'fulfilled', `task ${i} (${kind}): ${s.reason?.message}`);
      assert.equal(s.value, i);
    } else if (kind === 'throw') {
      assert.equal(s.reason?.message, `boom ${i}`);
    } else {
      assert.equal(s.reason?.code, expectedCode[kind], `task ${i} (${kind}): ${s.reason?.message}`);
    }
  });
  // every task ran exactly once: none lost, none repeated
  const wrong = [...counts].map((c, i) => [i, c]).filter(([, c]) => c !== 1);
  assert.deepEqual(wrong, [], 'tasks that did not run exactly once');
  // and the pool still serves
  const after = await within(Promise.all(Array.from({ length: 200 }, (_, i) => pool.run('chaos', [shared(1), 0, 'ok']).then(() => i))), 20_000, 'after chaos');
  assert.equal(after.length, 200);
  await within(pool.destroy(), 10_000, 'destroy');
  return { baseline, threads: threadCount() };
}

test('chaos: thread runtime', { timeout: 150_000 }, async () => {
  const { baseline, threads } = await chaos({});
  assert.equal(threads, baseline, 'no worker thread left after destroy()');
});

test('chaos: thread runtime, 4 async tasks per worker', { timeout: 150_000 }, async () => {
  const { baseline, threads } = await chaos({ concurrency: 4 }, 1000);
  assert.equal(threads, baseline);
});
