// Health and readiness: blocked event loop, memory limit, HTTP probe, ready().
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { supervise } from 'spindle/cluster';
import { fixtures, once, poll } from './helpers/cli.js';
import { freePort, load, request } from './helpers/load.js';

const app = join(fixtures, 'app.mjs');
const get = async (port, path) => JSON.parse((await request(port, { path })).body);

/**
 * Starts one worker with `options`, makes it unhealthy through `path`, and
 * checks it is replaced: resolves the report, the old worker's exit and the
 * new worker's pid (which then serves).
 */
async function unhealthyReplaced(t, options, path) {
  const port = await freePort();
  const sup = await supervise({ script: app, workers: 1, env: { PORT: String(port) }, logger: false, ...options });
  t.after(() => sup.close());
  const old = sup.workers[0].pid;
  const unhealthy = once(sup, 'workerUnhealthy');
  const replaced = once(sup, 'workerReady');
  const gone = once(sup, 'workerExit', 20_000, (e) => e.pid === old);
  await request(port, { path });
  const report = await unhealthy;
  assert.deepEqual([report.id, report.pid], [1, old]);
  const fresh = await replaced;
  assert.notEqual(fresh.pid, old);
  const exit = await gone;
  assert.equal(exit.expected, true);
  assert.equal(exit.reason, 'unhealthy');
  assert.equal((await get(port, '/')).pid, fresh.pid);
  return { report, exit };
}

test('a worker whose event loop blocks is replaced through the rolling path', { timeout: 60_000 }, async (t) => {
  const options = { heartbeat: { interval: '100ms', timeout: '800ms' }, grace: '500ms', killGrace: '1s' };
  const { report, exit } = await unhealthyReplaced(t, options, '/block');
  assert.equal(report.reason, 'heartbeat');
  assert.match(report.detail, /no heartbeat for/);
  assert.equal(exit.signal, 'SIGTERM', 'a blocked worker cannot drain; it is terminated at the deadline');
  assert.match(exit.detail, /did not drain in time and was sent SIGTERM/);
});

test('a worker above the memory limit is replaced', { timeout: 60_000 }, async (t) => {
  const options = { maxMemory: '160M', heartbeat: { interval: '100ms', timeout: '30s' } };
  const { report, exit } = await unhealthyReplaced(t, options, '/grow?mb=250');
  assert.equal(report.reason, 'memory');
  assert.match(report.detail, /above the limit of 160 MiB/);
  assert.equal(exit.exitCode, 0, 'it drained and exited on its own');
});

test('the HTTP probe must pass: a failing probe fails the start with a coded error', { timeout: 30_000 }, async () => {
  const port = await freePort();
  const err = await supervise({
    script: app,
    workers: 2,
    probe: '/health',
    env: { PORT: String(port), HEALTH_STATUS: '503' },
    logger: false,
  }).then(
    () => assert.fail('should not start'),
    (e) => e,
  );
  assert.equal(err.code, 'ERR_CLUSTER_START_FAILED');
  assert.equal(err.cause.code, 'ERR_CLUSTER_WORKER_NOT_READY');
  assert.equal(err.cause.reason, 'probe');
  assert.match(err.message, /probe GET \/health answered 503/);
  await assert.rejects(request(port), { code: 'ECONNREFUSED' }, 'nothing is left listening');
});

test('with waitReady, no request reaches a worker before it called ready(), also during a reload', {
  timeout: 60_000,
}, async (t) => {
  const port = await freePort();
  const sup = await supervise({
    script: app,
    workers: 1,
    waitReady: true,
    probe: '/health',
    env: { PORT: String(port), READY_DELAY: '700', KEEP_ALIVE: '500' },
    logger: false,
  });
  t.after(() => sup.close());
  const before = sup.workers[0].pid;
  const traffic = load({ port, concurrency: 4, duration: 30_000 });
  t.after(() => traffic.stop());
  await sup.reload();
  const mark = traffic.stats.ok;
  await poll(() => traffic.stats.ok >= mark + 50, 'traffic to reach the new worker');
  const stats = await traffic.stop();
  assert.deepEqual({ failed: stats.failed, non2xx: stats.non2xx }, { failed: 0, non2xx: 0 });
  const answers = stats.bodies.map((b) => JSON.parse(b));
  assert.ok(
    answers.every((a) => a.readyCalled),
    'a worker answered before it called ready()',
  );
  const pids = new Set(answers.map((a) => a.pid));
  assert.ok(pids.has(before) && pids.has(sup.workers[0].pid), 'both the old and the new worker served');
});
