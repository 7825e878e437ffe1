// The PM2 section of docs/migrating.md: the "after" files are shown in the doc
// character for character; the app runs under supervise() (the ecosystem
// file's equivalent) and under `spindle start` driven by the commands the
// section's table maps `pm2 ls/reload/scale/stop` to.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cli } from './helpers/cli.js';
import { home, spindle } from './helpers/control.js';
import { freePort, request } from './helpers/load.js';
import { doc, shown } from './helpers/migrating.js';
import { within } from './helpers.js';

const T = { timeout: 90_000 };

test('docs/migrating.md shows the PM2 "after" files as they are, after poolifier and before execa', () => {
  for (const f of ['pm2.js', 'pm2-server.js']) {
    const file = `test/fixtures/migrating/${f}`;
    assert.equal(shown(file), readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'), file);
  }
  const at = (h) => doc.indexOf(`\n## ${h}\n`);
  assert.ok(at('poolifier') < at('PM2') && at('PM2') < at('execa'), 'PM2 sits between poolifier and execa');
});

test('PM2 → spindle: the ecosystem app under supervise() reloads and stops cleanly', T, async (t) => {
  const dir = home(t);
  process.env.SPINDLE_HOME = dir;
  t.after(() => delete process.env.SPINDLE_HOME);
  const { main } = await import('./fixtures/migrating/pm2.js');
  const r = await within(main(await freePort()), 60_000, 'the PM2 example');
  assert.equal(r.name, 'api');
  assert.equal(r.before.length, 2);
  assert.equal(r.after.length, 2);
  for (const pid of r.after) assert.ok(!r.before.includes(pid), 'every worker replaced');
  assert.deepEqual(r.reloads, { ok: 1, failed: 0 });
  assert.equal(r.clean, true);
  assert.ok(!existsSync(join(dir, 'api.sock')), 'socket removed');
});

test('PM2 → spindle: pm2 start/ls/reload/scale/logs/stop as spindle commands', T, async (t) => {
  const dir = home(t);
  const port = await freePort();
  const server = fileURLToPath(new URL('./fixtures/migrating/pm2-server.js', import.meta.url));
  // pm2 start pm2-server.js --name api -i 2 --wait-ready --max-memory-restart 300M
  const api = cli(t, ['start', server, '--name', 'api', '--workers', '2', '--wait-ready', '--max-memory', '300M'], {
    env: { SPINDLE_HOME: dir, PORT: String(port), APP_VERSION: 'v1', NO_COLOR: '1' },
  });
  await api.waitFor(/running as pid/, 40_000);
  assert.equal(JSON.parse((await request(port)).body).version, 'v1');
  const ls = await spindle(t, dir, ['ls', '--json']); // pm2 ls
  assert.deepEqual(
    ls.json.supervisors.map((s) => [s.name, s.kind, s.ready]),
    [['api', 'start', 2]],
  );
  assert.equal((await spindle(t, dir, ['reload', 'api'])).code, 0); // pm2 reload api
  const scaled = await spindle(t, dir, ['scale', 'api', '+1', '--json']); // pm2 scale api +1
  assert.deepEqual(scaled.json, { workers: 3, previous: 2, started: [3], stopped: [] });
  const logs = await spindle(t, dir, ['logs', 'api', '-n', '50']); // pm2 logs api --lines 50 --nostream
  assert.equal(logs.code, 0);
  assert.match(logs.stdout, /reload complete/);
  const stop = await spindle(t, dir, ['stop', 'api']); // pm2 stop api (and pm2 delete api: nothing is left)
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal((await api.exit(20_000)).code, 0);
});
