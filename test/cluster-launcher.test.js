// Issue 11 item 7: `spindle start` run through a launcher (`npm run`, `npx`)
// stops gracefully when the launcher is killed, although the signal never
// reaches it (npm signals its `sh -c`, and dash does not exec the last
// command; SIGHUP kills npm alone). Real npm and npx, on loopback, offline.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { allDead, bin, fixtures, poll, tempDir, until } from './helpers/cli.js';
import { freePort, request } from './helpers/load.js';

const app = join(fixtures, 'app.mjs');

/** A project whose node_modules/.bin has `spindle` (as npm would link it) and an npm script that starts it. */
function project(extra = '') {
  const dir = tempDir('launch-');
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'launch', private: true, scripts: { serve: `spindle start ${app} -w 1${extra}` } }),
  );
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  const shim = join(dir, 'node_modules', '.bin', 'spindle');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`);
  chmodSync(shim, 0o755);
  return dir;
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Runs `command args` in `cwd`; resolves once spindle said its pid, with the launcher and what it started. */
async function launch(t, [command, ...args], cwd, port, pids) {
  const child = spawn(command, args, {
    cwd,
    env: {
      ...process.env,
      PORT: String(port),
      PID_DIR: pids,
      SPINDLE_HOME: tempDir('home-'), // a control directory of its own (see helpers/cli.js)
      npm_config_offline: 'true',
      npm_config_update_notifier: 'false',
      npm_config_yes: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const collect = (d) => {
    out += d;
    child.emit('output');
  };
  child.stdout.setEncoding('utf8').on('data', collect);
  child.stderr.setEncoding('utf8').on('data', collect);
  const wait = (re, timeout = 30_000) => until(child, 'output', () => re.test(out), timeout, `${re} in:\n${out}`);
  let supervisor;
  t.after(() => {
    for (const pid of [child.pid, supervisor, ...allDead(pids).alive]) {
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {}
    }
  });
  await wait(/running as pid (\d+)/);
  supervisor = Number(/running as pid (\d+)/.exec(out)[1]);
  return { child, supervisor, wait, output: () => out };
}

for (const [launcher, args] of [
  ['npm run', ['npm', 'run', 'serve']],
  ['npx', ['npx', 'spindle', 'start', app, '-w', '1']],
]) {
  for (const signal of ['SIGTERM', 'SIGHUP']) {
    test(`${signal} to the ${launcher} pid stops the supervisor and its workers`, { timeout: 60_000 }, async (t) => {
      const port = await freePort();
      const pids = tempDir('pids-');
      const run = await launch(t, args, project(), port, pids);
      assert.notEqual(run.supervisor, run.child.pid, 'spindle runs under the launcher, not as it');
      assert.equal((await request(port)).status, 200);
      run.child.kill(signal);
      await poll(() => !alive(run.supervisor), 'the supervisor to exit', 15_000);
      await poll(() => allDead(pids).alive.length === 0, 'its workers to exit', 10_000);
      assert.match(run.output(), /launcher|started spindle/);
      assert.match(run.output(), /stopped cleanly/, 'a graceful stop, not a kill');
      await assert.rejects(request(port), { code: 'ECONNREFUSED' });
    });
  }
}

test('--allow-orphan keeps it running when the launcher goes (deliberate daemonising)', {
  timeout: 60_000,
}, async (t) => {
  const port = await freePort();
  const pids = tempDir('pids-');
  const run = await launch(t, ['npm', 'run', 'serve'], project(' --allow-orphan'), port, pids);
  run.child.kill('SIGTERM');
  await run.wait(/exited; running on \(--allow-orphan\)/);
  assert.doesNotMatch(run.output(), /stopping/);
  assert.ok(alive(run.supervisor), 'still running');
  assert.equal((await request(port)).status, 200, 'still serving');
  process.kill(run.supervisor, 'SIGTERM');
  await poll(() => !alive(run.supervisor), 'the supervisor to stop on its own SIGTERM', 15_000);
});
