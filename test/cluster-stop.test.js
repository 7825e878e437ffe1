// Graceful stop: every worker drains at once under one deadline.
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { supervise } from 'spindle/cluster';
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
  for (const r of results) assert.match(r.body, /^slow done [01]$/);
  const exit = await spindle.exit();
  traffic.stop();
  assert.deepEqual(exit, { code: 0, signal: null });
  // "Within the deadline": the 6 s grace plus slack for a slow machine.
  assert.ok(Date.now() - stoppedAt < 6000 + 5000, `took ${Date.now() - stoppedAt} ms`);
  assert.match(spindle.out.stderr, /stopped cleanly/);
  assert.deepEqual(allDead(pids).alive, []);
  assert.equal(allDead(pids).pids.length, 2);
});

test('a worker that does not drain in time is killed; stop() reports it', { timeout: 30_000 }, async () => {
  const port = await freePort();
  const sup = await supervise({
    script: app,
    workers: 2,
    grace: '300ms',
    killTimeout: '2s',
    env: { PORT: String(port) },
    logger: false,
  });
  const stuck = slow(port, 60_000);
  const outcome = stuck.done.then(
    () => 'completed',
    (err) => err.code ?? err.message,
  );
  await stuck.head;
  const exits = [];
  sup.on('workerExit', (e) => exits.push(e));
  const result = await sup.stop();
  assert.notEqual(await outcome, 'completed', 'the killed worker cannot have finished it');
  assert.equal(result.clean, false);
  assert.equal(result.forced.length, 1);
  assert.equal(exits.length, 2);
  assert.ok(exits.every((e) => e.expected));
  assert.deepEqual(
    exits.filter((e) => e.signal === 'SIGTERM').map((e) => e.id),
    result.forced,
  );
  assert.equal(sup.state, 'stopped');
  assert.deepEqual(await sup.stop(), result, 'stop() is idempotent');
  await assert.rejects(sup.reload(), { code: 'ERR_CLUSTER_CLOSED' });
});
