// The pure parts of the cluster module, tested directly (built files): option
// parsers, sticky keys, rendezvous hashing, crash backoff, log prefixing.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { tcpTarget } from '../dist/cluster/app/listen.js';
import { CrashCounter } from '../dist/cluster/backoff.js';
import { pickSlot } from '../dist/cluster/sticky/hash.js';
import { headEnd, keyFromHead, parseSticky } from '../dist/cluster/sticky/key.js';
import { parseBytes } from '../dist/util/bytes.js';
import { formatDuration, parseDuration } from '../dist/util/duration.js';
import { prefixLines } from '../dist/util/prefix.js';

test('durations: units, numbers as ms, and a clear error for a bare number string', () => {
  assert.equal(parseDuration('grace', '10s'), 10_000);
  assert.equal(parseDuration('grace', '500ms'), 500);
  assert.equal(parseDuration('grace', '1.5m'), 90_000);
  assert.equal(parseDuration('grace', '2h'), 7_200_000);
  assert.equal(parseDuration('grace', 250), 250);
  for (const bad of ['10', '-1s', 'ten seconds', '', -5, Number.NaN, null, {}]) {
    assert.throws(() => parseDuration('grace', bad), {
      code: 'ERR_INVALID_OPTION',
      message: /Expected `grace` to be a duration: milliseconds \(a number\) or a string such as '500ms', '10s'/,
    });
  }
  assert.equal(formatDuration(250), '250ms');
  assert.equal(formatDuration(1500), '1.5s');
});

test('sizes: binary units', () => {
  assert.equal(parseBytes('maxMemory', '512M'), 512 * 1024 ** 2);
  assert.equal(parseBytes('maxMemory', '1.5GB'), 1.5 * 1024 ** 3);
  assert.equal(parseBytes('maxMemory', '300kb'), 300 * 1024);
  assert.equal(parseBytes('maxMemory', 1000), 1000);
  for (const bad of ['lots', '0M', '-1M', 0])
    assert.throws(() => parseBytes('maxMemory', bad), { code: 'ERR_INVALID_OPTION' });
});

test('sticky specs and keys from a request head', () => {
  assert.deepEqual(parseSticky('sticky', 'ip'), { kind: 'ip' });
  assert.deepEqual(parseSticky('sticky', 'header:X-Forwarded-For'), { kind: 'header', name: 'x-forwarded-for' });
  assert.deepEqual(parseSticky('sticky', 'cookie:sid'), { kind: 'cookie', name: 'sid' });
  for (const bad of ['header:', 'cookie', 'session', 'header:a b', 3]) {
    assert.throws(() => parseSticky('sticky', bad), {
      code: 'ERR_INVALID_OPTION',
      message: /'ip', 'header:NAME' or 'cookie:NAME'/,
    });
  }
  const head = Buffer.from(
    'POST /x HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.1.2.3, 10.0.0.1\r\nCookie: a=1; sid=abc ; b=2\r\nCookie: sid2=zzz\r\n\r\nBODY',
  );
  const end = headEnd(head);
  assert.equal(head.subarray(end).toString(), 'BODY');
  assert.equal(headEnd(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n')), -1);
  assert.equal(keyFromHead(head, parseSticky('s', 'header:x-forwarded-for')), '10.1.2.3');
  assert.equal(keyFromHead(head, parseSticky('s', 'cookie:sid')), 'abc');
  assert.equal(keyFromHead(head, parseSticky('s', 'cookie:sid2')), 'zzz');
  assert.equal(keyFromHead(head, parseSticky('s', 'cookie:none')), undefined);
  assert.equal(keyFromHead(head, parseSticky('s', 'header:x-none')), undefined);
});

test('rendezvous hashing: removing a slot moves only its own keys, and they come back', () => {
  const keys = Array.from({ length: 2000 }, (_, i) => `key-${i}`);
  const all = [0, 1, 2, 3];
  const owner = new Map(keys.map((k) => [k, pickSlot(k, all)]));
  const counts = [0, 0, 0, 0];
  for (const s of owner.values()) counts[s]++;
  for (const c of counts) assert.ok(c > 350 && c < 650, `uneven spread: ${counts}`);
  const without2 = [0, 1, 3];
  for (const k of keys) {
    const now = pickSlot(k, without2);
    if (owner.get(k) !== 2) assert.equal(now, owner.get(k));
    else assert.notEqual(now, 2);
    assert.equal(pickSlot(k, all), owner.get(k));
  }
  assert.equal(pickSlot('x', []), undefined);
});

test('crash backoff doubles with jitter, resets after a stable run, and trips the breaker', () => {
  const c = new CrashCounter({ minDelay: 100, maxDelay: 1000, stableAfter: 5000, maxCrashes: 5 }, () => 1);
  assert.deepEqual(c.crashed(10), { restart: true, attempt: 1, delay: 100 });
  assert.deepEqual(c.crashed(10), { restart: true, attempt: 2, delay: 200 });
  assert.deepEqual(c.crashed(10), { restart: true, attempt: 3, delay: 400 });
  // A worker that ran for the stable period starts the count over.
  assert.deepEqual(c.crashed(6000), { restart: true, attempt: 1, delay: 100 });
  for (let i = 2; i <= 4; i++) assert.equal(c.crashed(0).attempt, i);
  assert.deepEqual(c.crashed(0), { restart: false, crashes: 5 });
  const low = new CrashCounter({ minDelay: 100, maxDelay: 1000, stableAfter: 5000, maxCrashes: 50 }, () => 0);
  for (let i = 0; i < 10; i++) low.crashed(0);
  assert.equal(low.crashed(0).delay, 500, 'capped at maxDelay, then half of it is jitter');
});

test('log prefixing keeps lines whole across chunks', async () => {
  const from = new PassThrough();
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  prefixLines(from, out, '[3] ');
  from.write('one\ntw');
  from.write('o\nthree');
  from.end();
  await new Promise((r) => from.on('end', r));
  assert.equal(text, '[3] one\n[3] two\n[3] three\n');
});

test('which listen() calls name a fixed TCP port', () => {
  const cb = () => {};
  assert.deepEqual(tcpTarget([3000]), { port: 3000, host: undefined, backlog: undefined, callback: undefined });
  assert.deepEqual(tcpTarget(['3000', '127.0.0.1', cb]), {
    port: 3000,
    host: '127.0.0.1',
    backlog: undefined,
    callback: cb,
  });
  assert.deepEqual(tcpTarget([3000, 511, cb]), { port: 3000, host: undefined, backlog: 511, callback: cb });
  assert.deepEqual(tcpTarget([{ port: 80, host: '::' }]), {
    port: 80,
    host: '::',
    backlog: undefined,
    callback: undefined,
  });
  for (const args of [[], [0], [cb], ['/tmp/sock'], [{ path: '/tmp/s' }], [{ fd: 3 }], [{ port: 0 }]]) {
    assert.equal(tcpTarget(args), undefined);
  }
});

test('supervise() rejects bad options before starting anything', async () => {
  const { supervise } = await import('spindle/cluster');
  const script = new URL('./fixtures/cluster/app.mjs', import.meta.url);
  await assert.rejects(supervise({ script: 'test/fixtures/cluster/missing.mjs' }), {
    code: 'ERR_CLUSTER_SCRIPT_NOT_FOUND',
  });
  await assert.rejects(supervise({ script, workers: 0 }), {
    code: 'ERR_INVALID_OPTION',
    message: "Expected `workers` to be a positive integer or 'auto' (at most 1024), got 0 (number)",
  });
  await assert.rejects(supervise({ script, grace: '10' }), { code: 'ERR_INVALID_OPTION', message: /`grace`/ });
  await assert.rejects(supervise({ script, sticky: 'cookie' }), { code: 'ERR_INVALID_OPTION', message: /`sticky`/ });
  await assert.rejects(supervise({ script, heartbeat: { timeout: '1s', interval: '2s' } }), {
    code: 'ERR_INVALID_OPTION',
  });
  await assert.rejects(supervise({ script, probe: 'health' }), { code: 'ERR_INVALID_OPTION', message: /`probe`/ });
  await assert.rejects(supervise({ script, restart: { maxCrashes: 0 } }), { code: 'ERR_INVALID_OPTION' });
  await assert.rejects(supervise({ script, wokers: 2 }), {
    code: 'ERR_INVALID_OPTION',
    message: /Unknown option `wokers`/,
  });
  await assert.rejects(supervise(), { code: 'ERR_INVALID_OPTION' });
});

test('spindle start flags map to supervise() options; usage errors name the flag', async () => {
  const { startOptions } = await import('../dist/cli/start.js');
  const { options, allowOrphan } = startOptions([
    'app.js',
    'a',
    '-w',
    '3',
    '--kill-grace',
    '2s',
    '--grace',
    '0',
    '--heartbeat',
    '1s',
    '--max-crashes',
    '7',
    '--probe',
    '/healthz',
    '--allow-orphan',
    '--',
    '--port',
    '1',
  ]);
  assert.deepEqual(options, {
    script: 'app.js',
    name: 'app',
    args: ['a', '--port', '1'],
    workers: 3,
    grace: 0,
    killGrace: 2000,
    heartbeat: 1000,
    probe: '/healthz',
    restart: { maxCrashes: 7 },
    waitReady: false,
    logPrefix: false,
  });
  assert.equal(allowOrphan, true);
  assert.equal(startOptions(['--help']), undefined);
  const refused = (argv) => {
    try {
      startOptions(argv);
    } catch (err) {
      return [err.code, err.option ?? null];
    }
    return 'accepted';
  };
  assert.deepEqual(refused(['app.js', '--kill-timeout', '1s']), ['ERR_CLI_USAGE', null]);
  assert.deepEqual(refused(['app.js', '--kill-grace', '10']), ['ERR_INVALID_OPTION', '--kill-grace']);
  assert.deepEqual(refused(['app.js', '--heartbeat', '10ms']), ['ERR_INVALID_OPTION', '--heartbeat']);
  assert.deepEqual(refused(['app.js', '--workers', '0']), ['ERR_INVALID_OPTION', '--workers']);
  assert.deepEqual(refused(['app.js', '--workers', '2000']), ['ERR_INVALID_OPTION', '--workers']);
  assert.deepEqual(refused(['app.js', '--max-crashes', '1.5']), ['ERR_INVALID_OPTION', '--max-crashes']);
  assert.deepEqual(refused(['app.js', '--probe', 'healthz']), ['ERR_INVALID_OPTION', '--probe']);
  assert.deepEqual(refused([]), ['ERR_CLI_USAGE', null]);
  // Issue 12: --name (default: the script's base name), --log-format, --log-time, --watch[=PATH].
  const named = startOptions(['dist/my server.mjs', '--log-format', 'json', '--log-time', '--watch']);
  assert.equal(named.options.name, 'my-server');
  assert.equal(named.options.logFormat, 'json');
  assert.equal(named.options.logTime, true);
  assert.deepEqual(named.watch, [join(process.cwd(), 'dist')]);
  const watched = startOptions(['app.js', '-n', 'api', '--watch=src,lib', '--watch=config.json', '--', '--watch']);
  assert.equal(watched.options.name, 'api');
  assert.deepEqual(
    watched.watch,
    ['src', 'lib', 'config.json'].map((p) => join(process.cwd(), p)),
  );
  assert.deepEqual(watched.options.args, ['--watch'], 'after --, --watch is the app’s');
  assert.equal(startOptions(['app.js']).watch, undefined);
  assert.deepEqual(refused(['app.js', '--name', 'a b']), ['ERR_INVALID_OPTION', '--name']);
  assert.deepEqual(refused(['app.js', '--name', 'x'.repeat(65)]), ['ERR_INVALID_OPTION', '--name']);
  assert.deepEqual(refused(['app.js', '--log-format', 'yaml']), ['ERR_INVALID_OPTION', '--log-format']);
});

test('the launcher watch: a shell between us and npm is looked through', async () => {
  const { launcherChain, launcherGone } = await import('../dist/cli/launcher.js');
  // npm (10) → sh -c (11) → spindle (12)
  let procs = {
    11: { pid: 11, ppid: 10, comm: 'sh' },
    10: { pid: 10, ppid: 5, comm: 'npm run serve' },
  };
  const read = (pid) => procs[pid];
  const chain = launcherChain(11, read);
  assert.deepEqual(
    chain.map((p) => p.pid),
    [11, 10],
  );
  assert.equal(launcherGone(11, chain, 11, read), undefined, 'all there');
  // SIGTERM to npm: npm signals sh, sh dies, we are re-parented.
  assert.match(launcherGone(11, chain, 1, read), /the process that started spindle \(pid 11\) exited/);
  // SIGHUP to npm: npm dies, sh lives on under init.
  procs = { 11: { pid: 11, ppid: 1, comm: 'sh' } };
  assert.match(launcherGone(11, chain, 11, read), /the launcher \(pid 10\) .* through 'sh' exited/);
  // Started by a plain process (a test, systemd's child): only our parent matters.
  procs = { 20: { pid: 20, ppid: 1, comm: 'node' } };
  assert.deepEqual(
    launcherChain(20, read).map((p) => p.pid),
    [20],
  );
});
