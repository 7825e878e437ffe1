// Names and the control socket (issue 12): two supervisors under different
// names seen by `ls` and `status` (--json checked field by field), the mode
// bits of the directory and socket, a second start under a running name
// refused (exit code 2, nothing started), a stale socket left by a SIGKILLed
// supervisor reclaimed, and malformed requests answered with errors while the
// supervisor keeps serving.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from './helpers/cli.js';
import { alive, app, home, raw, spindle, startNamed } from './helpers/control.js';
import { request } from './helpers/load.js';

test('two supervisors under different names: ls and status show both, --json field by field', {
  timeout: 90_000,
}, async (t) => {
  const dir = home(t);
  const api = await startNamed(t, dir, 'api', { workers: 2 });
  const jobs = await startNamed(t, dir, 'jobs', { workers: 1 });

  const ls = await spindle(t, dir, ['ls', '--json']);
  assert.equal(ls.code, 0, ls.stderr);
  const byName = Object.fromEntries(ls.json.supervisors.map((s) => [s.name, s]));
  assert.deepEqual(Object.keys(byName).sort(), ['api', 'jobs']);
  for (const [name, sup, n] of [
    ['api', api, 2],
    ['jobs', jobs, 1],
  ]) {
    const s = byName[name];
    assert.deepEqual(Object.keys(s).sort(), [
      'kind',
      'name',
      'pid',
      'ready',
      'restarts',
      'socket',
      'state',
      'uptime',
      'wanted',
    ]);
    assert.equal(s.kind, 'start');
    assert.equal(s.pid, sup.pid);
    assert.equal(s.state, 'running');
    assert.equal(s.ready, n);
    assert.equal(s.wanted, n);
    assert.equal(s.restarts, 0);
    assert.ok(Number.isInteger(s.uptime) && s.uptime >= 0);
    assert.equal(s.socket, join(dir, `${name}.sock`));
  }
  // Not a terminal: no colour even without NO_COLOR.
  const human = await spindle(t, dir, ['ls'], { env: { NO_COLOR: undefined } });
  assert.equal(human.code, 0);
  assert.match(human.stdout, /^NAME +KIND +PID +WORKERS +UPTIME +RESTARTS +STATE$/m);
  assert.match(human.stdout, new RegExp(`^api +start +${api.pid} +2/2 +\\S+ +0 +running$`, 'm'));
  assert.match(human.stdout, new RegExp(`^jobs +start +${jobs.pid} +1/1 +\\S+ +0 +running$`, 'm'));
  for (const line of human.stdout.split('\n')) assert.ok(line.length <= 80, `fits 80 columns: ${line}`);
  assert.doesNotMatch(human.stdout, /\x1b\[/, 'no colour when not a terminal');

  // Stats arrive about once a second from each worker: ask until every worker has reported.
  let status;
  for (let i = 0; i < 100 && !status?.workers.every((w) => w.stats !== null); i++) {
    status = (await spindle(t, dir, ['status', 'api', '--json'])).json;
  }
  const pids = new Set(
    (await Promise.all([1, 2, 3, 4, 5, 6].map(() => request(api.port)))).map((r) => JSON.parse(r.body).pid),
  );
  assert.deepEqual(Object.keys(status).sort(), [
    'crashes',
    'kind',
    'name',
    'pid',
    'ready',
    'reloads',
    'restarts',
    'script',
    'startedAt',
    'state',
    'supervisor',
    'uptime',
    'wanted',
    'workers',
  ]);
  assert.equal(status.name, 'api');
  assert.equal(status.kind, 'start');
  assert.equal(status.pid, api.pid);
  assert.equal(status.state, 'running');
  assert.equal(status.ready, 2);
  assert.equal(status.wanted, 2);
  assert.equal(status.restarts, 0);
  assert.equal(status.crashes, 0);
  assert.deepEqual(status.reloads, { ok: 0, failed: 0 });
  assert.match(status.script, /app\.mjs$/);
  assert.ok(status.startedAt <= Date.now() && status.uptime >= 0);
  assert.deepEqual(Object.keys(status.supervisor).sort(), ['cpuSeconds', 'heapUsed', 'rss']);
  assert.ok(status.supervisor.rss > 1e6);
  assert.deepEqual(
    status.workers.map((w) => w.id),
    [1, 2],
  );
  for (const w of status.workers) {
    assert.deepEqual(Object.keys(w).sort(), [
      'crashes',
      'id',
      'lastExit',
      'pid',
      'readySince',
      'restarts',
      'startedAt',
      'state',
      'stats',
      'uptime',
    ]);
    assert.equal(w.state, 'ready');
    assert.ok(pids.has(w.pid), `worker ${w.id}'s pid ${w.pid} serves requests`);
    assert.equal(w.restarts, 0);
    assert.equal(w.lastExit, null);
    assert.ok(w.readySince >= w.startedAt);
    assert.deepEqual(Object.keys(w.stats).sort(), [
      'at',
      'cpu',
      'cpuSeconds',
      'eventLoopDelay',
      'eventLoopUtilization',
      'heapUsed',
      'rss',
    ]);
    assert.ok(w.stats.rss > 1e6 && w.stats.heapUsed > 0 && w.stats.heapUsed < w.stats.rss);
    assert.ok(w.stats.cpu >= 0 && w.stats.cpuSeconds > 0);
    assert.ok(w.stats.eventLoopDelay.p50 >= 0 && w.stats.eventLoopDelay.p99 >= w.stats.eventLoopDelay.p50);
    assert.ok(w.stats.eventLoopUtilization >= 0 && w.stats.eventLoopUtilization <= 1);
  }
  const jobsStatus = await spindle(t, dir, ['status', 'jobs', '--json']);
  assert.equal(jobsStatus.json.pid, jobs.pid);
  assert.equal(jobsStatus.json.workers.length, 1);

  const text = await spindle(t, dir, ['status', 'api']);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^api \(start\): running, pid \d+/);
  assert.match(text.stdout, /^ID +PID +STATE +UPTIME +RESTARTS +RSS +CPU +LAG p50\/p99 ms +ELU$/m);
  for (const line of text.stdout.split('\n')) assert.ok(line.length <= 80, `fits 80 columns: ${line}`);

  const missing = await spindle(t, dir, ['status', 'nope']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No supervisor named 'nope' is running/);
  const missingJson = await spindle(t, dir, ['status', 'nope', '--json']);
  assert.equal(missingJson.code, 1);
  assert.equal(missingJson.json.error.code, 'ERR_CONTROL_NOT_RUNNING');

  for (const sup of [api, jobs]) {
    sup.child.kill('SIGTERM');
    assert.equal((await sup.exit()).code, 0);
  }
  assert.deepEqual((await spindle(t, dir, ['ls', '--json'])).json, { supervisors: [] });
});

test('the directory is 0700 and the socket 0600; a looser directory of ours is tightened', {
  timeout: 60_000,
}, async (t) => {
  const dir = home(t);
  chmodSync(dir, 0o755);
  const api = await startNamed(t, dir, 'api', { workers: 1 });
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  const st = statSync(api.socket);
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(st.uid, process.getuid());
  api.child.kill('SIGTERM');
  assert.equal((await api.exit()).code, 0);
  assert.equal(existsSync(api.socket), false, 'the socket is removed on exit');
});

/** Whether user nobody may walk into `path` (every parent searchable): 'ok' or the error code. */
function searchableAs(path) {
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      'try { require("node:fs").accessSync(process.argv[1], 1); console.log("ok") } catch (e) { console.log(e.code) }',
      path,
    ],
    { uid: 65534, gid: 65534, encoding: 'utf8' },
  );
  return r.stdout.trim();
}

/** Tries to connect to `path` as another user (uid/gid 65534, nobody); resolves the error code or 'connected'. */
function connectAs(path) {
  return new Promise((resolve, reject) => {
    const code = `require('node:net').connect(${JSON.stringify(path)}).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); });`;
    const child = spawn(process.execPath, ['-e', code], {
      uid: 65534,
      gid: 65534,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', () => resolve(out.trim()));
  });
}

test('another user cannot connect: neither through the 0700 directory nor to the 0600 socket', {
  timeout: 60_000,
  skip: process.getuid() !== 0 && 'switching users needs root (the mode bits are checked above)',
}, async (t) => {
  const dir = home(t);
  // The check needs a path the other user could walk but for our two locks: a
  // checkout under a 0700 directory (e.g. a private /tmp) shuts them out before
  // spindle's modes matter, and the control step below could not connect.
  if (searchableAs(dirname(dir)) !== 'ok') {
    t.skip(
      `user nobody cannot reach ${dirname(dir)} at all (a parent directory is closed); the mode bits are checked above`,
    );
    return;
  }
  const api = await startNamed(t, dir, 'api', { workers: 1 });
  // As started: both locks.
  assert.equal(await connectAs(api.socket), 'EACCES');
  // Each lock alone is enough: the 0700 directory (socket opened up by hand) …
  chmodSync(api.socket, 0o666);
  assert.equal(await connectAs(api.socket), 'EACCES');
  // … and the 0600 socket (directory opened up by hand).
  chmodSync(api.socket, 0o600);
  chmodSync(dir, 0o711);
  assert.equal(await connectAs(api.socket), 'EACCES');
  // Without either, the other user would get in: the check above can fail.
  chmodSync(api.socket, 0o666);
  assert.equal(await connectAs(api.socket), 'connected');
  chmodSync(api.socket, 0o600);
  chmodSync(dir, 0o700);
  // The same user can.
  assert.equal((await spindle(t, dir, ['status', 'api', '--json'])).json.pid, api.pid);
  api.child.kill('SIGTERM');
  assert.equal((await api.exit()).code, 0);
});

test('a second start under a running name is refused with exit code 2 and starts nothing', {
  timeout: 60_000,
}, async (t) => {
  const dir = home(t);
  const api = await startNamed(t, dir, 'api', { workers: 1 });
  const pids = tempDir('pids-');
  const second = await spindle(t, dir, ['start', app, '--name', 'api'], {
    env: { PID_DIR: pids, PORT: String(api.port) },
  });
  assert.equal(second.code, 2, second.stderr);
  assert.match(second.stderr, new RegExp(`A supervisor named 'api' is already running \\(pid ${api.pid}\\)`));
  const { readdirSync } = await import('node:fs');
  assert.deepEqual(readdirSync(pids), [], 'no worker was started');
  // The first one is untouched.
  assert.equal((await spindle(t, dir, ['status', 'api', '--json'])).json.pid, api.pid);
  api.child.kill('SIGTERM');
  assert.equal((await api.exit()).code, 0);
});

test('a stale socket left by a SIGKILLed supervisor is reclaimed', { timeout: 60_000 }, async (t) => {
  const dir = home(t);
  const first = await startNamed(t, dir, 'api', { workers: 1 });
  first.child.kill('SIGKILL');
  await first.exit();
  assert.ok(existsSync(first.socket), 'the killed supervisor left its socket');
  // Nobody answers: ls leaves it out, status says not running.
  assert.deepEqual((await spindle(t, dir, ['ls', '--json'])).json, { supervisors: [] });
  assert.equal((await spindle(t, dir, ['status', 'api'])).code, 1);
  // Its worker dies with it (watchdog); wait so the port is free again.
  const second = await startNamed(t, dir, 'api', { workers: 1 });
  const s = await spindle(t, dir, ['status', 'api', '--json']);
  assert.equal(s.code, 0);
  assert.equal(s.json.pid, second.pid);
  assert.ok(!alive(first.pid));
  second.child.kill('SIGTERM');
  assert.equal((await second.exit()).code, 0);
  assert.equal(existsSync(second.socket), false);
});

test('malformed, oversized and unknown requests get error replies; the supervisor keeps serving', {
  timeout: 60_000,
}, async (t) => {
  const dir = home(t);
  const api = await startNamed(t, dir, 'api', { workers: 1 });
  const c = await raw(api.socket);
  t.after(() => c.close());
  const bad = async (text, reason, id = null) => {
    c.send(text);
    const r = await c.next();
    assert.equal(r.v, 1);
    assert.equal(r.ok, false, text);
    assert.equal(r.id, id);
    assert.equal(r.error.code, 'ERR_CONTROL_BAD_REQUEST');
    assert.equal(r.error.props.reason, reason, `${text.slice(0, 60)} → ${r.error.message}`);
    return r;
  };
  await bad('not json\n', 'json');
  await bad('[1,2]\n', 'shape');
  await bad('{"id":1,"cmd":"status"}\n', 'version', 1);
  await bad('{"v":2,"id":2,"cmd":"status"}\n', 'version', 2);
  await bad('{"v":1,"id":3,"cmd":"explode"}\n', 'command', 3);
  await bad('{"v":1,"id":4,"cmd":"__proto__"}\n', 'command', 4);
  await bad('{"v":1,"id":5,"cmd":"scale","args":{"workers":0}}\n', 'args', 5);
  await bad('{"v":1,"id":6,"cmd":"scale","args":{"workers":2,"by":1}}\n', 'args', 6);
  await bad('{"v":1,"id":7,"cmd":"status","args":{"x":1}}\n', 'args', 7);
  await bad('{"v":1,"id":8,"cmd":"stop","args":{"grace":"soon"}}\n', 'args', 8);
  await bad('{"v":1,"id":9,"cmd":"logs","args":{"lines":-1}}\n', 'args', 9);
  await bad('{"v":1,"id":{"a":1},"cmd":"status"}\n', 'shape');
  await bad(`{"v":1,"id":10,"cmd":"status","pad":"${'x'.repeat(100_000)}"}\n`, 'too-large');
  // An oversized line sent in pieces, without a newline for a long while, is still refused and skipped.
  c.send('{"v":1,"id":11,"pad":"');
  for (let i = 0; i < 10; i++) c.send('y'.repeat(10_000));
  await bad('"}\n', 'too-large');
  // The same connection still works, and replies carry the request's id.
  c.send('\n{"v":1,"id":"s1","cmd":"status"}\n');
  const ok = await c.next();
  assert.equal(ok.ok, true);
  assert.equal(ok.id, 's1');
  assert.equal(ok.result.pid, api.pid);
  c.send('{"v":1,"id":"h","cmd":"hello"}\n');
  const hello = await c.next();
  assert.deepEqual(
    { ...hello.result, spindle: typeof hello.result.spindle },
    { protocol: 1, versions: [1], kind: 'start', name: 'api', pid: api.pid, spindle: 'string' },
  );
  // A client that vanishes mid-request does not disturb anything.
  const gone = await raw(api.socket);
  gone.send('{"v":1,"id":1,"cmd":"sta');
  gone.close();
  assert.equal((await request(api.port)).status, 200);
  assert.equal((await spindle(t, dir, ['status', 'api', '--json'])).json.state, 'running');
  api.child.kill('SIGTERM');
  assert.equal((await api.exit()).code, 0);
});
