// Regression tests of issue 11 for the cluster: workers die with a SIGKILLed
// supervisor (item 6), held servers expose no loopback port (item 3), the
// crash count says what --max-crashes means (item 21); and the primary ignores
// app messages that mimic spindle's own kinds.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { supervise } from 'spindle/cluster';
import { allDead, cli, fixtures, poll, tempDir } from './helpers/cli.js';
import { freePort, request } from './helpers/load.js';

const app = join(fixtures, 'app.mjs');
const linux = process.platform === 'linux';

/** SIGKILLs whatever of `dir`'s recorded pids still runs (a failed test must not leave a spinning worker). */
function killLeftovers(dir) {
  for (const pid of allDead(dir).alive) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

test('a SIGKILLed supervisor takes its workers with it, a busy one included (issue 11 item 6)', {
  timeout: 60_000,
}, async (t) => {
  const port = await freePort();
  const pids = tempDir('pids-');
  t.after(() => killLeftovers(pids));
  const spindle = cli(t, ['start', app, '-w', '2', '--kill-grace', '500ms'], {
    env: { PORT: String(port), PID_DIR: pids },
  });
  await spindle.waitFor(/2 workers ready/);
  assert.equal(allDead(pids).alive.length, 2);
  // One worker's event loop spins forever: it can never run Node's "primary is gone" handler.
  assert.equal((await request(port, { path: '/block' })).body, 'blocking');
  spindle.child.kill('SIGKILL');
  await spindle.exit();
  await poll(() => allDead(pids).alive.length === 0, 'every worker to die after the supervisor', 10_000);
});

/** TCP ports `pid` listens on (Linux: its socket inodes matched against /proc/PID/net/tcp{,6}). */
function tcpListens(pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {}
  }
  const ports = [];
  for (const file of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${file}`, 'utf8').trim().split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && inodes.has(f[9])) ports.push(Number.parseInt(f[1].split(':')[1], 16));
    }
  }
  return { inodes, ports };
}

/** Paths of the listening Unix sockets among `inodes` (a process's sockets). */
function unixListens(inodes) {
  return readFileSync('/proc/net/unix', 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[5] === '01' && inodes.has(f[6]) && f[7])
    .map((f) => f[7]);
}

for (const [mode, extra] of [
  ['--probe', { probe: '/health' }],
  ['--sticky', { sticky: 'ip' }],
]) {
  test(`with ${mode}, a worker listens on no loopback TCP port, only on a socket in a 0700 directory (issue 11 item 3)`, {
    skip: !linux && 'reads /proc',
    timeout: 30_000,
  }, async (t) => {
    const port = await freePort();
    const sup = await supervise({ script: app, workers: 1, env: { PORT: String(port) }, logger: false, ...extra });
    t.after(() => sup.close());
    const pid = sup.workers[0].pid;
    assert.equal(JSON.parse((await request(port)).body).pid, pid, 'the public port serves');
    const { inodes, ports } = tcpListens(pid);
    assert.deepEqual(ports, [], 'no TCP port of the worker can be reached by other local users');
    const sockets = unixListens(inodes);
    assert.equal(sockets.length, 1);
    const dir = statSync(dirname(sockets[0]));
    assert.equal(dir.mode & 0o777, 0o700);
    assert.equal(dir.uid, process.getuid());
    await sup.close();
    assert.throws(() => statSync(sockets[0]), { code: 'ENOENT' }, 'the socket is gone with its worker');
  });
}

test('the crash count says what --max-crashes means (issue 11 item 21)', { timeout: 30_000 }, async (t) => {
  const port = await freePort();
  const pids = tempDir('pids-');
  const spindle = cli(t, ['start', app, '-w', '1', '--max-crashes', '5'], {
    env: { PORT: String(port), PID_DIR: pids },
  });
  await spindle.waitFor(/1 worker ready/);
  process.kill(allDead(pids).pids[0], 'SIGKILL');
  await spindle.waitFor(/restarting worker 1 in /);
  assert.match(spindle.out.stderr, /\(crash 1 in a row; the slot is given up at 5\)/);
  assert.doesNotMatch(spindle.out.stderr, /at most 4/);
  spindle.child.kill('SIGTERM');
  await spindle.exit();
});

test("an app message that mimics spindle's kinds ('__proto__', 'toString', unknown) is ignored", {
  timeout: 30_000,
}, async (t) => {
  const port = await freePort();
  const sup = await supervise({ script: app, workers: 1, env: { PORT: String(port) }, logger: false });
  t.after(() => sup.close());
  const exits = [];
  sup.on('workerExit', (e) => exits.push(e));
  for (const kind of ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'nope', 'ready', 'res']) {
    assert.equal((await request(port, { path: `/spoof?kind=${kind}` })).body, 'sent');
  }
  assert.equal(sup.state, 'running');
  assert.equal(JSON.parse((await request(port)).body).id, 1);
  assert.deepEqual(exits, []);
});

test('env is merged over process.env, extendEnv: false starts empty, cwd and script take URLs', {
  timeout: 30_000,
}, async (t) => {
  const port = await freePort();
  process.env.SPINDLE_TEST_INHERITED = 'inherited';
  t.after(() => delete process.env.SPINDLE_TEST_INHERITED);
  const get = async (name) => JSON.parse((await request(port, { path: `/env?name=${name}` })).body);

  const merged = await supervise({
    script: 'app.mjs',
    cwd: new URL('./fixtures/cluster/', import.meta.url),
    workers: 1,
    env: { PORT: String(port), OWN: 'own', SPINDLE_TEST_INHERITED: undefined },
    logger: false,
  });
  t.after(() => merged.close());
  assert.deepEqual(await get('OWN'), { value: 'own', cwd: fixtures });
  assert.equal((await get('SPINDLE_TEST_INHERITED')).value, null, 'undefined removes a variable');
  assert.equal((await get('PATH')).value, process.env.PATH);
  await merged.close();

  const empty = await supervise({
    script: new URL('./fixtures/cluster/app.mjs', import.meta.url),
    workers: 1,
    env: { PORT: String(port), OWN: 'own' },
    extendEnv: false,
    logger: false,
  });
  t.after(() => empty.close());
  assert.equal((await get('OWN')).value, 'own');
  assert.equal((await get('PATH')).value, null, 'nothing inherited');
  assert.equal((await get('SPINDLE_TEST_INHERITED')).value, null);
  assert.equal((await get('SPINDLE_WORKER_ID')).value, '1');
  await empty.close();

  await assert.rejects(supervise({ script: app, env: { SECRET: 123456 } }), (err) => {
    assert.equal(err.code, 'ERR_INVALID_OPTION');
    assert.equal(err.option, 'env.SECRET');
    assert.doesNotMatch(err.message, /123456/, 'an env value is never shown');
    return true;
  });
  await assert.rejects(supervise({ script: app, cwd: new URL('https://example.com/') }), {
    code: 'ERR_INVALID_OPTION',
    option: 'cwd',
  });
  await assert.rejects(supervise({ script: app, cwd: '/nonexistent/dir' }), { code: 'ERR_INVALID_OPTION' });
  await assert.rejects(supervise({ script: new URL('https://example.com/app.js') }), {
    code: 'ERR_INVALID_OPTION',
    option: 'script',
  });
  await assert.rejects(supervise({ script: app, killTimeout: '1s' }), {
    code: 'ERR_INVALID_OPTION',
    message: /Unknown option `killTimeout`/,
  });
});

test('the exit event of a worker that misses readyTimeout says not-ready', { timeout: 30_000 }, async () => {
  const exits = [];
  const { Supervisor } = await import('spindle/cluster');
  const orig = Supervisor.prototype.emit;
  Supervisor.prototype.emit = function (event, payload) {
    if (event === 'workerExit') exits.push(payload);
    return orig.call(this, event, payload);
  };
  try {
    await assert.rejects(
      supervise({ script: join(fixtures, 'never.mjs'), workers: 1, readyTimeout: '300ms', logger: false }),
      { code: 'ERR_CLUSTER_START_FAILED' },
    );
  } finally {
    Supervisor.prototype.emit = orig;
  }
  assert.equal(exits.length, 1);
  assert.equal(exits[0].reason, 'not-ready');
  assert.equal(exits[0].expected, true);
  assert.equal(exits[0].id, 1);
});
