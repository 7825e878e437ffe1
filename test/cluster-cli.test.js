// `spindle start`: entry kinds, log pass-through, help, and bad input (clear
// errors, non-zero exit, no process left behind).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { allDead, cli, fixtures, poll, tempDir } from './helpers/cli.js';
import { freePort, request } from './helpers/load.js';

async function serveOnce(t, file, extra = []) {
  const port = await freePort();
  const spindle = cli(t, ['start', join(fixtures, file), '--workers', '1', ...extra], { env: { PORT: String(port) } });
  await spindle.waitFor(/1 worker ready/, 30_000);
  const body = JSON.parse((await request(port)).body);
  spindle.child.kill('SIGINT');
  assert.deepEqual(await spindle.exit(), { code: 0, signal: null });
  return body;
}

test('ESM, CommonJS and TypeScript entry points', { timeout: 60_000 }, async (t) => {
  assert.equal((await serveOnce(t, 'app.mjs')).version, 'v1');
  assert.deepEqual(await serveOnce(t, 'app.cjs', ['--', '--flag', 'x']), {
    kind: 'cjs-main',
    id: '1',
    args: ['--flag', 'x'],
  });
  assert.deepEqual(await serveOnce(t, 'app.ts'), { kind: 'ts', id: 1 });
});

test('worker output passes through, prefixed with the slot id on request', { timeout: 60_000 }, async (t) => {
  const port = await freePort();
  const env = { PORT: String(port), LOG_START: '1', SHUTDOWN_LOG: '1' };
  const spindle = cli(t, ['start', join(fixtures, 'app.mjs'), '-w', '2', '--log-prefix'], { env });
  await spindle.waitFor(/\[1\] hello from 1\n/);
  await spindle.waitFor(/\[2\] hello from 2\n/);
  spindle.child.kill('SIGTERM');
  assert.equal((await spindle.exit()).code, 0);
  assert.match(spindle.out.stdout, /^\[1\] shutdown 1 stop$/m);
  assert.match(spindle.out.stdout, /^\[2\] shutdown 2 stop$/m);

  const plain = cli(t, ['start', join(fixtures, 'app.mjs'), '-w', '1'], {
    env: { ...env, PORT: String(await freePort()) },
  });
  await plain.waitFor(/^hello from 1$/m);
  plain.child.kill('SIGTERM');
  assert.equal((await plain.exit()).code, 0);
});

test('--help and usage errors that list the valid values (exit code 2)', { timeout: 30_000 }, async (t) => {
  const run = async (...args) => {
    const p = cli(t, args);
    const { code } = await p.exit();
    return { code, out: p.out.stdout, err: p.out.stderr };
  };
  const help = await run('start', '--help');
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: spindle start <script>/);
  assert.match(help.out, /Examples:\n {2}spindle start server\.js/);
  assert.match(help.out, /--kill-grace DURATION/);
  assert.match(help.out, /--allow-orphan/);
  assert.match((await run('--help')).out, /Commands:\n {2}start/);

  const cases = [
    [['strat', 'app.js'], /unknown command 'strat'\. Valid commands: start/],
    [['constructor'], /unknown command 'constructor'\. Valid commands: start, work/],
    [['start', 'app.js', '--kill-timeout', '1s'], /Unknown option '--kill-timeout' for 'spindle start'/],
    [['start'], /Missing <script>/],
    [
      ['start', 'app.js', '--bogus'],
      /Unknown option '--bogus' for 'spindle start'\. Valid options: --name \(-n\), --workers \(-w\), --grace/,
    ],
    [
      ['start', 'app.js', '--workers', 'lots'],
      /Expected `--workers` to be a positive integer or 'auto' \(at most 1024\), got "lots" \(string\)/,
    ],
    [['start', 'app.js', '--grace', '10'], /Expected `--grace` to be a duration with a unit, such as 500ms, 10s/],
    [['start', 'app.js', '--sticky', 'session'], /Expected `--sticky` to be 'ip', 'header:NAME' or 'cookie:NAME'/],
    [['start', 'app.js', '--max-memory', 'big'], /Expected `--max-memory` to be a size such as '512M'/],
    [['start', 'app.js', '--grace'], /--grace/],
  ];
  for (const [args, message] of cases) {
    const r = await run(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, message);
  }
});

test('bad scripts: missing, exiting at once, never ready — clear errors, non-zero exit, no orphans', {
  timeout: 60_000,
}, async (t) => {
  const missing = cli(t, ['start', 'test/fixtures/cluster/nope.js']);
  assert.equal((await missing.exit()).code, 2);
  assert.match(missing.out.stderr, /the script .*nope\.js does not exist/);

  const pids = tempDir('pids-');
  const exits = cli(t, ['start', join(fixtures, 'exit3.mjs'), '-w', '2'], { env: { PID_DIR: pids } });
  assert.equal((await exits.exit()).code, 1);
  assert.match(
    exits.out.stderr,
    /Cluster failed to start: worker \d \(pid \d+\) exited with code 3 before it was ready/,
  );
  assert.equal(allDead(pids).pids.length, 2);
  assert.deepEqual(allDead(pids).alive, []);

  const pids2 = tempDir('pids-');
  const never = cli(t, ['start', join(fixtures, 'never.mjs'), '-w', '2', '--ready-timeout', '3s'], {
    env: { PID_DIR: pids2 },
  });
  assert.equal((await never.exit()).code, 1);
  assert.match(never.out.stderr, /worker \d \(pid \d+\) was not ready within 3s/);
  assert.equal(allDead(pids2).pids.length, 2);
  assert.deepEqual(allDead(pids2).alive, []);
});

test('a SIGTERM during start-up is kept and carried out once the workers are up', { timeout: 60_000 }, async (t) => {
  const port = await freePort();
  const pids = tempDir('pids-');
  const spindle = cli(t, ['start', join(fixtures, 'app.mjs'), '-w', '1', '--wait-ready'], {
    env: { PORT: String(port), PID_DIR: pids, READY_DELAY: '1000' },
  });
  // The worker exists (so the supervisor's handlers are installed) but is not ready yet.
  await poll(() => allDead(pids).pids.length === 1, 'the worker to start');
  spindle.child.kill('SIGTERM');
  assert.deepEqual(await spindle.exit(), { code: 0, signal: null });
  assert.match(spindle.out.stderr, /1 worker ready[\s\S]*SIGTERM received: stopping[\s\S]*stopped cleanly/);
  assert.deepEqual(allDead(pids).alive, []);
});
