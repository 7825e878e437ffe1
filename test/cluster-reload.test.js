// Rolling reload through the real CLI and a real SIGHUP, under load.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { cli, fixtures, poll, tempDir } from './helpers/cli.js';
import { freePort, load, request } from './helpers/load.js';

const app = join(fixtures, 'app.mjs');
// The entry the CLI runs; tests rewrite it to ship "new code".
const version = (v) => `process.env.APP_VERSION = ${JSON.stringify(v)};\nawait import(${JSON.stringify(app)});\n`;
const broken = 'throw new Error("broken build: missing config");\n';

async function collect(port, n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(JSON.parse((await request(port)).body));
  return out;
}

test('SIGHUP under load: zero failed requests, then every worker runs the new code', { timeout: 60_000 }, async (t) => {
  const dir = tempDir();
  const entry = join(dir, 'server.mjs');
  writeFileSync(entry, version('v1'));
  const port = await freePort();
  const spindle = cli(t, ['start', entry, '--workers', '2', '--grace', '5s'], {
    env: { PORT: String(port), KEEP_ALIVE: '1000' },
  });
  await spindle.waitFor(/2 workers ready/);
  const before = new Set((await collect(port, 20)).map((r) => r.pid));

  const traffic = load({ port, concurrency: 8, duration: 45_000 });
  t.after(() => traffic.stop());
  // Several seconds of steady traffic around the reload (load generation, not synchronisation).
  await Promise.all([poll(() => traffic.stats.ok >= 200, 'load to flow'), delay(1500)]);
  writeFileSync(entry, version('v2'));
  spindle.child.kill('SIGHUP');
  await spindle.waitFor(/reload complete/, 40_000);
  const mark = traffic.stats.ok;
  await Promise.all([poll(() => traffic.stats.ok >= mark + 200, 'load to go on after the reload'), delay(1500)]);
  const stats = await traffic.stop();
  assert.deepEqual(
    { failed: stats.failed, non2xx: stats.non2xx, errors: stats.errors },
    { failed: 0, non2xx: 0, errors: [] },
  );
  assert.ok(stats.ok > 400);

  const after = await collect(port, 20);
  assert.deepEqual(new Set(after.map((r) => r.version)), new Set(['v2']));
  assert.deepEqual(new Set(after.map((r) => r.id)), new Set([1, 2]));
  for (const r of after) assert.ok(!before.has(r.pid), 'old worker still serving');

  spindle.child.kill('SIGTERM');
  assert.deepEqual(await spindle.exit(), { code: 0, signal: null });
});

test('a new version that crashes at start is refused; the old workers keep serving', { timeout: 60_000 }, async (t) => {
  const dir = tempDir();
  const entry = join(dir, 'server.mjs');
  writeFileSync(entry, version('v1'));
  const port = await freePort();
  const spindle = cli(t, ['start', entry, '--workers', '2'], { env: { PORT: String(port) } });
  await spindle.waitFor(/2 workers ready/);
  const before = await collect(port, 10);

  writeFileSync(entry, broken);
  spindle.child.kill('SIGHUP');
  await spindle.waitFor(/Reload refused/);
  assert.match(
    spindle.out.stderr,
    /Reload refused: worker 1 \(pid \d+\) exited with code 1 before it was ready; the old worker 1 keeps serving/,
  );
  // The app's own error reaches the terminal too, so the "why" is visible.
  assert.match(spindle.out.stderr, /broken build: missing config/);
  assert.doesNotMatch(spindle.out.stderr, /reload complete/);

  const after = await collect(port, 10);
  assert.deepEqual(new Set(after.map((r) => r.version)), new Set(['v1']));
  assert.deepEqual(new Set(after.map((r) => r.pid)), new Set(before.map((r) => r.pid)));

  spindle.child.kill('SIGTERM');
  assert.deepEqual(await spindle.exit(), { code: 0, signal: null });
});
