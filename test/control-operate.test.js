// Operating a running supervisor by name (issue 12): `spindle reload`,
// `scale`, `logs` and `stop` through the control socket, with real processes
// and real HTTP load.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { cli, poll, tempDir } from './helpers/cli.js';
import { alive, app, home, spindle, startNamed } from './helpers/control.js';
import { load, request } from './helpers/load.js';

// The entry the CLI runs; tests rewrite it to ship "new code".
const version = (v) => `process.env.APP_VERSION = ${JSON.stringify(v)};\nawait import(${JSON.stringify(app)});\n`;
const broken = 'throw new Error("broken build: missing config");\n';

async function pidsServing(port, n = 30) {
  const pids = new Set();
  for (let i = 0; i < n; i++) pids.add(JSON.parse((await request(port)).body).pid);
  return pids;
}

/** Steady keep-alive traffic for a while (load generation, not synchronisation). */
async function flowing(traffic, more = 200) {
  const mark = traffic.stats.ok;
  await Promise.all([poll(() => traffic.stats.ok >= mark + more, 'load to flow'), delay(1000)]);
}

/** Starts a GET and resolves once its headers arrived (the worker is handling it); `body` resolves at its end. */
function inFlight(port, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const body = new Promise((ok, fail) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d) => (text += d));
        res.on('end', () => ok(text));
        res.on('error', fail);
        req.on('error', fail);
      });
      resolve({ status: res.statusCode, body });
    });
    req.setTimeout(30_000, () => req.destroy(new Error('request timeout')));
    req.once('error', reject);
  });
}

function noFailures(stats) {
  assert.deepEqual(
    { failed: stats.failed, non2xx: stats.non2xx, errors: stats.errors },
    { failed: 0, non2xx: 0, errors: [] },
  );
}

test('spindle reload NAME under keep-alive load: exit 0, zero failed requests, every pid new; a crashing version: exit 1 with the reason, old workers serving', {
  timeout: 120_000,
}, async (t) => {
  const dir = home(t);
  const entry = join(tempDir(), 'server.mjs');
  writeFileSync(entry, version('v1'));
  const api = await startNamed(t, dir, 'api', { script: entry, workers: 2, env: { KEEP_ALIVE: '1000' } });
  const before = (await spindle(t, dir, ['status', 'api', '--json'])).json.workers.map((w) => w.pid);

  const traffic = load({ port: api.port, concurrency: 8, duration: 60_000 });
  t.after(() => traffic.stop());
  await flowing(traffic);
  writeFileSync(entry, version('v2'));
  const reload = await spindle(t, dir, ['reload', 'api']);
  assert.equal(reload.code, 0, reload.stderr);
  assert.match(reload.stdout, /^api: reloaded 2 workers \(pids \d+, \d+\)$/m);
  await flowing(traffic);
  noFailures(await traffic.stop());

  const after = await spindle(t, dir, ['status', 'api', '--json']);
  const now = after.json.workers.map((w) => w.pid);
  for (const pid of now) assert.ok(!before.includes(pid), `pid ${pid} is new`);
  assert.deepEqual(after.json.reloads, { ok: 1, failed: 0 });
  assert.deepEqual(
    after.json.workers.map((w) => w.lastExit.reason),
    ['reload', 'reload'],
  );
  assert.deepEqual(await pidsServing(api.port), new Set(now));
  const bodies = await Promise.all([1, 2, 3].map(() => request(api.port)));
  for (const b of bodies) assert.equal(JSON.parse(b.body).version, 'v2');

  writeFileSync(entry, broken);
  const refused = await spindle(t, dir, ['reload', 'api', '--json']);
  assert.equal(refused.code, 1);
  assert.equal(refused.json.error.code, 'ERR_CLUSTER_RELOAD_FAILED');
  assert.match(
    refused.stderr,
    /Reload refused: worker 1 \(pid \d+\) exited with code 1 before it was ready; the old worker 1 keeps serving/,
  );
  assert.deepEqual(await pidsServing(api.port), new Set(now), 'the old workers keep serving');
  assert.deepEqual((await spindle(t, dir, ['status', 'api', '--json'])).json.reloads, { ok: 1, failed: 1 });
  // The app's own error is in the logs (the new worker's stderr).
  const logs = await spindle(t, dir, ['logs', 'api', '-n', '200']);
  assert.match(logs.stdout, /\[1 err\] .*broken build: missing config/);

  api.child.kill('SIGTERM');
  assert.equal((await api.exit()).code, 0);
});

test('spindle logs -n and -f see the lines workers write, after a reload too; --log-format json embeds JSON lines', {
  timeout: 90_000,
}, async (t) => {
  const dir = home(t);
  const api = await startNamed(t, dir, 'api', { workers: 2, args: ['--log-format', 'json'] });
  // Lines pass through to the supervisor's stdout as JSON records.
  const say = (text, stream = 'stdout') =>
    request(api.port, { path: `/log?stream=${stream}&text=${encodeURIComponent(text)}` }).then((r) =>
      JSON.parse(r.body),
    );
  const w1 = await say('before reload');
  await say('{"level":"info","msg":"structured"}');
  await say('to stderr', 'stderr');
  await api.waitFor(/"message":"to stderr"/);
  const records = api.out.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const plain = records.find((r) => r.message === 'before reload');
  assert.deepEqual(Object.keys(plain).sort(), ['message', 'pid', 'stream', 'time', 'worker']);
  assert.equal(plain.worker, w1.id);
  assert.equal(plain.pid, w1.pid);
  assert.equal(plain.stream, 'stdout');
  assert.ok(!Number.isNaN(Date.parse(plain.time)));
  const structured = records.find((r) => r.json);
  assert.deepEqual(structured.json, { level: 'info', msg: 'structured' }, 'embedded as an object, not escaped');
  assert.equal(structured.message, undefined);
  assert.match(api.out.stderr, /^\{"time":"[^"]+","worker":\d,"pid":\d+,"stream":"stderr","message":"to stderr"\}$/m);
  assert.match(
    api.out.stderr,
    /^\{"time":"[^"]+","worker":null,"pid":\d+,"stream":"spindle","message":"2 workers ready/m,
  );

  const follow = cli(t, ['logs', 'api', '-n', '1', '-f'], { env: { SPINDLE_HOME: dir, NO_COLOR: '1' } });
  // The last line comes first; the supervisor registers the follower in the same step, so what follows reaches it.
  await follow.waitFor(/\n/);
  assert.match(follow.out.stdout, /^\S+Z \[\d err\] to stderr\n$/);
  const reload = await spindle(t, dir, ['reload', 'api']);
  assert.equal(reload.code, 0, reload.stderr);
  const w2 = await say('after reload');
  await follow.waitFor(/\[\d\] after reload\n/);
  assert.match(follow.out.stdout, new RegExp(`^\\S+Z \\[${w2.id}\\] after reload$`, 'm'));
  assert.match(follow.out.stdout, /\[spindle\] reload complete/);
  assert.doesNotMatch(follow.out.stdout, /before reload/, '-n 1: only the last line, then new ones');

  const tail = await spindle(t, dir, ['logs', 'api', '-n', '50']);
  assert.equal(tail.code, 0);
  assert.match(tail.stdout, /\[\d\] before reload\n[\s\S]*\[\d err\] to stderr\n[\s\S]*\[\d\] after reload\n/);
  const one = await spindle(t, dir, ['logs', 'api', '-n', '1', '--worker', String(w2.id), '--json']);
  assert.deepEqual(
    { ...one.json, time: typeof one.json.time },
    { time: 'string', worker: w2.id, pid: w2.pid, stream: 'stdout', message: 'after reload' },
  );
  const jsonTail = (await spindle(t, dir, ['logs', 'api', '-n', '100', '--json'])).stdout.split('\n').filter(Boolean);
  assert.ok(jsonTail.map((l) => JSON.parse(l)).some((r) => r.json?.msg === 'structured'));

  // A follower ends with the supervisor, exit code 0.
  api.child.kill('SIGTERM');
  assert.equal((await api.exit()).code, 0);
  assert.deepEqual(await follow.exit(), { code: 0, signal: null });
});

test('spindle scale NAME up and down under load: zero failed requests', { timeout: 120_000 }, async (t) => {
  const dir = home(t);
  const api = await startNamed(t, dir, 'api', { workers: 1, env: { KEEP_ALIVE: '1000' } });
  const traffic = load({ port: api.port, concurrency: 8, duration: 90_000 });
  t.after(() => traffic.stop());
  await flowing(traffic);

  const up = await spindle(t, dir, ['scale', 'api', '3', '--json']);
  assert.equal(up.code, 0, up.stderr);
  assert.deepEqual(up.json, { workers: 3, previous: 1, started: [2, 3], stopped: [] });
  await flowing(traffic);
  let status = (await spindle(t, dir, ['status', 'api', '--json'])).json;
  assert.deepEqual(
    status.workers.map((w) => [w.id, w.state]),
    [
      [1, 'ready'],
      [2, 'ready'],
      [3, 'ready'],
    ],
  );
  assert.equal((await pidsServing(api.port, 60)).size, 3, 'all three take requests');

  const down = await spindle(t, dir, ['scale', 'api', '-2']);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(down.stdout, 'api: 1 worker (was 3; stopped 2, 3)\n');
  await flowing(traffic);
  const again = await spindle(t, dir, ['scale', 'api', '+1']);
  assert.equal(again.code, 0, again.stderr);
  await flowing(traffic);
  noFailures(await traffic.stop());
  status = (await spindle(t, dir, ['status', 'api', '--json'])).json;
  assert.equal(status.wanted, 2);
  assert.equal(status.ready, 2);

  // Out of range: a usage error, nothing changes.
  const bad = await spindle(t, dir, ['scale', 'api', '0']);
  assert.equal(bad.code, 2);
  const tooFew = await spindle(t, dir, ['scale', 'api', '-5', '--json']);
  assert.equal(tooFew.code, 2);
  assert.equal(tooFew.json.error.code, 'ERR_INVALID_OPTION');
  assert.equal((await spindle(t, dir, ['status', 'api', '--json'])).json.wanted, 2);

  api.child.kill('SIGTERM');
  assert.equal((await api.exit()).code, 0);
});

test('spindle stop NAME while slow requests run: they complete, the exit status comes back, socket and processes gone', {
  timeout: 90_000,
}, async (t) => {
  const dir = home(t);
  const pids = tempDir('pids-');
  const api = await startNamed(t, dir, 'api', { workers: 2, env: { PID_DIR: pids } });
  const slow = await Promise.all([1, 2, 3, 4].map(() => inFlight(api.port, '/slow?ms=1500')));
  const stop = await spindle(t, dir, ['stop', 'api', '--grace', '20s']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(stop.stdout, 'api: stopped cleanly\n');
  for (const body of await Promise.all(slow.map((r) => r.body))) assert.match(body, /^slow done \d$/);
  assert.deepEqual(await api.exit(), { code: 0, signal: null });
  assert.equal(existsSync(api.socket), false, 'socket removed');
  const { readdirSync } = await import('node:fs');
  const started = readdirSync(pids).map(Number);
  assert.equal(started.length, 2);
  assert.deepEqual(
    started.filter((pid) => alive(pid)),
    [],
    'no worker left',
  );
  assert.ok(!alive(api.pid));

  // A stop that has to kill: exit status 1, as the supervisor's own.
  const hard = await startNamed(t, dir, 'hard', { workers: 1 });
  const hanging = await inFlight(hard.port, '/slow?ms=60000');
  const cut = hanging.body.then(
    () => 'completed',
    (err) => err.code,
  );
  const forced = await spindle(t, dir, ['stop', 'hard', '--grace', '300ms', '--json']);
  assert.equal(forced.code, 1);
  assert.deepEqual(forced.json, { exitCode: 1, clean: false, forced: [1] });
  assert.deepEqual(await hard.exit(), { code: 1, signal: null });
  assert.equal(await cut, 'ECONNRESET', 'the request that outlived the grace was cut');

  const none = await spindle(t, dir, ['stop', 'api']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /No supervisor named 'api' is running/);
});
