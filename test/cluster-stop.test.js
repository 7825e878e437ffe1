// Graceful stop: every worker drains at once under one deadline.
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { supervise } from 'spindle/cluster';
import { watchdogPid } from '../dist/cluster/watchdog.js';
import { allDead, cli, fixtures, poll, tempDir } from './helpers/cli.js';
import { freePort, load } from './helpers/load.js';

const app = join(fixtures, 'app.mjs');

/** Starts a slow request; resolves `headers` once the worker answered the head, `done` with the full body. */
function slow(port, ms) {
  let headers;
  const head = new Promise((resolve) => (headers = resolve));
  const done = new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/slow?ms=${ms}`, agent: false }, (res) => {
      headers();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', reject);
    });
    req.setTimeout(20_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
  return { head, done };
}

test('SIGTERM under load with slow requests in flight: all complete, exit 0 within the deadline', {
  timeout: 60_000,
}, async (t) => {
  const port = await freePort();
  const pids = tempDir('pids-');
  const spindle = cli(t, ['start', app, '--workers', '2', '--grace', '6s'], {
    env: { PORT: String(port), KEEP_ALIVE: '500', PID_DIR: pids },
  });
  await spindle.waitFor(/2 workers ready/);
  const traffic = load({ port, concurrency: 4, duration: 30_000 });
  t.after(() => traffic.stop());
  await poll(() => traffic.stats.ok >= 100, 'load to flow');

  const inflight = Array.from({ length: 6 }, () => slow(port, 1500));
  await Promise.all(inflight.map((r) => r.head));
  const stoppedAt = Date.now();
  spindle.child.kill('SIGTERM');
  const results = await Promise.all(inflight.map((r) => r.done));
  for (const r of results) assert.match(r.body, /^slow done [12]$/);
  const exit = await spindle.exit();
  traffic.stop();
  assert.deepEqual(exit, { code: 0, signal: null });
  // "Within the deadline": the 6 s grace plus slack for a slow machine.
  assert.ok(Date.now() - stoppedAt < 6000 + 5000, `took ${Date.now() - stoppedAt} ms`);
  assert.match(spindle.out.stderr, /stopped cleanly/);
  assert.deepEqual(allDead(pids).alive, []);
  assert.equal(allDead(pids).pids.length, 2);
});

test('a worker that does not drain in time is killed; close() reports it', { timeout: 30_000 }, async () => {
  const port = await freePort();
  const sup = await supervise({
    script: app,
    workers: 2,
    grace: '10s',
    killGrace: '2s',
    env: { PORT: String(port) },
    logger: false,
  });
  assert.equal(sup.state, 'running');
  const stuck = slow(port, 60_000);
  const outcome = stuck.done.then(
    () => 'completed',
    (err) => err.code ?? err.message,
  );
  await stuck.head;
  const exits = [];
  const states = [];
  sup.on('workerExit', (e) => exits.push(e));
  sup.on('closing', () => states.push(sup.state));
  sup.on('closed', (r) => states.push(sup.state, r));
  // The grace given to close() overrides the option's 10s.
  const result = await sup.close({ grace: '300ms' });
  assert.notEqual(await outcome, 'completed', 'the killed worker cannot have finished it');
  assert.equal(result.clean, false);
  assert.equal(result.forced.length, 1);
  assert.equal(exits.length, 2);
  assert.ok(exits.every((e) => e.expected && e.reason === 'stop'));
  assert.deepEqual(
    exits.filter((e) => e.signal === 'SIGTERM').map((e) => e.id),
    result.forced,
  );
  assert.ok([1, 2].includes(result.forced[0]), 'forced lists slot ids (from 1)');
  assert.deepEqual(states, ['closing', 'closed', result]);
  assert.equal(sup.state, 'closed');
  assert.equal(await sup.close(), result, 'close() is idempotent: the same result');
  await sup.destroy();
  await assert.rejects(sup.reload(), { code: 'ERR_CLUSTER_CLOSED' });
});

test('destroy() skips the drain: SIGTERM at once, also cutting short a close() in progress', {
  timeout: 30_000,
}, async () => {
  const port = await freePort();
  const sup = await supervise({ script: app, workers: 1, grace: '20s', env: { PORT: String(port) }, logger: false });
  const stuck = slow(port, 60_000);
  stuck.done.catch(() => {});
  await stuck.head;
  const exits = [];
  sup.on('workerExit', (e) => exits.push(e));
  const closing = sup.close(); // would wait 20 s for the slow request
  await sup.destroy();
  assert.equal(sup.state, 'closed');
  assert.deepEqual(await closing, { clean: false, forced: [1] });
  assert.deepEqual(
    exits.map((e) => [e.id, e.signal, e.reason, e.expected]),
    [[1, 'SIGTERM', 'stop', true]],
  );
});

test('close() refuses a bad grace by rejecting, and await using closes', { timeout: 30_000 }, async () => {
  const port = await freePort();
  const sup = await supervise({ script: app, workers: 1, env: { PORT: String(port) }, logger: false });
  await assert.rejects(sup.close({ grace: '10' }), { code: 'ERR_INVALID_OPTION', message: /`grace`/ });
  await assert.rejects(sup.close({ timeout: '1s' }), { code: 'ERR_INVALID_OPTION', option: 'timeout' });
  assert.equal(sup.state, 'running', 'a refused close() closes nothing');
  assert.ok(watchdogPid() > 0, 'a watchdog runs while workers do');
  await sup[Symbol.asyncDispose]();
  assert.equal(sup.state, 'closed');
  assert.equal(watchdogPid(), undefined, 'and is gone with the last worker');
});
