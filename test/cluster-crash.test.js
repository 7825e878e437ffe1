// Crashes: a killed worker is replaced, backoff, the crash-loop breaker.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { supervise } from 'spindle/cluster';
import { fixtures, once, poll, tempDir } from './helpers/cli.js';
import { freePort, load, request } from './helpers/load.js';

const app = join(fixtures, 'app.mjs');

test('kill -9 of one worker under load: it is replaced; failures stay within what it held', {
  timeout: 60_000,
}, async (t) => {
  const port = await freePort();
  const sup = await supervise({ script: app, workers: 2, env: { PORT: String(port) }, logger: false });
  t.after(() => sup.close());
  const traffic = load({ port, concurrency: 8, duration: 40_000 });
  t.after(() => traffic.stop());
  await poll(() => traffic.stats.ok >= 300, 'load to flow');

  const victim = sup.workers[1];
  assert.equal(victim.id, 2);
  const held = await sup.request(2, 'connections', null);
  const replaced = once(sup, 'workerReady', 20_000, (e) => e.id === 2);
  const exited = once(sup, 'workerExit', 20_000, (e) => e.id === 2);
  process.kill(victim.pid, 'SIGKILL');
  const exit = await exited;
  assert.match(exit.detail, /^killed by SIGKILL after \d/);
  assert.deepEqual(exit, {
    id: 2,
    pid: victim.pid,
    exitCode: null,
    signal: 'SIGKILL',
    expected: false,
    reason: 'crash',
    detail: exit.detail,
  });
  const fresh = await replaced;
  assert.notEqual(fresh.pid, victim.pid);
  const mark = traffic.stats.ok;
  await poll(() => traffic.stats.ok >= mark + 300, 'load to go on');
  const stats = await traffic.stop();

  assert.ok(held >= 1, 'the killed worker held connections');
  assert.ok(stats.failed <= held, `${stats.failed} failures, but the killed worker held only ${held} connections`);
  assert.equal(stats.non2xx, 0);
  assert.equal(sup.workers[1].pid, fresh.pid);
  assert.equal(sup.workers[1].restarts, 1);
  const ids = new Set();
  for (let i = 0; i < 10; i++) ids.add(JSON.parse((await request(port)).body).id);
  assert.deepEqual(ids, new Set([1, 2]));
});

test('a slot that keeps crashing backs off, trips the breaker, and a reload brings it back', {
  timeout: 60_000,
}, async (t) => {
  const port = await freePort();
  const crashFile = join(tempDir(), 'crash');
  const sup = await supervise({
    script: app,
    workers: 2,
    env: { PORT: String(port), CRASH_FILE: crashFile },
    restart: { minDelay: '20ms', maxDelay: '100ms', maxCrashes: 4 },
    logger: false,
  });
  t.after(() => sup.close());
  const restarts = [];
  const exits = [];
  sup.on('workerRestart', (e) => restarts.push(e));
  sup.on('workerExit', (e) => exits.push(e));
  const tripped = once(sup, 'crashLoop');

  writeFileSync(crashFile, ''); // from now on every new worker exits at once with code 2
  process.kill(sup.workers[0].pid, 'SIGKILL');
  const err = await tripped;
  assert.equal(err.code, 'ERR_CLUSTER_CRASH_LOOP');
  assert.equal(err.workerId, 1);
  assert.equal(err.crashes, 4);
  // Crash 1 (the kill) and the next two failed starts were retried, the fourth was not.
  assert.deepEqual(
    restarts.map((r) => [r.id, r.attempt]),
    [
      [1, 1],
      [1, 2],
      [1, 3],
    ],
  );
  for (const r of restarts) assert.ok(r.delay >= 0 && r.delay <= 100);
  assert.deepEqual(
    exits.map((e) => [e.id, e.exitCode, e.signal, e.reason]),
    [
      [1, null, 'SIGKILL', 'crash'],
      [1, 2, null, 'crash'],
      [1, 2, null, 'crash'],
      [1, 2, null, 'crash'],
    ],
  );
  assert.equal(sup.workers[0].state, 'failed');
  assert.equal(sup.workers[0].pid, undefined);
  assert.equal(sup.workers[1].state, 'ready');
  // The other slot keeps serving alone.
  assert.equal(JSON.parse((await request(port)).body).id, 2);

  rmSync(crashFile);
  await sup.reload();
  assert.deepEqual(
    sup.workers.map((w) => [w.state, w.crashes]),
    [
      ['ready', 0],
      ['ready', 0],
    ],
  );
  assert.equal(restarts.length, 3, 'no restart after the breaker tripped');
});
