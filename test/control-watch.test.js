// `spindle start --watch` (issue 12): editing the script reloads; a syntax
// error keeps the old version serving and says why; node_modules and .git
// are not watched; watched directories that appear later are watched too.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { poll, tempDir } from './helpers/cli.js';
import { app, home, spindle, startNamed } from './helpers/control.js';
import { request } from './helpers/load.js';

const version = (v) => `process.env.APP_VERSION = ${JSON.stringify(v)};\nawait import(${JSON.stringify(app)});\n`;

async function versions(port) {
  const seen = new Set();
  for (let i = 0; i < 10; i++) seen.add(JSON.parse((await request(port)).body).version);
  return seen;
}

test('--watch: editing the script reloads; a syntax error keeps the old version serving', {
  timeout: 120_000,
}, async (t) => {
  const dir = home(t);
  const src = tempDir('watch-');
  const entry = join(src, 'server.mjs');
  writeFileSync(entry, version('v1'));
  mkdirSync(join(src, 'node_modules', 'dep'), { recursive: true });
  mkdirSync(join(src, '.git'));
  mkdirSync(join(src, 'lib'));
  const api = await startNamed(t, dir, 'dev', { script: entry, workers: 2, args: ['--watch'] });
  await api.waitFor(/watching 2 directories for changes/); // src and lib: not node_modules, not .git

  writeFileSync(entry, version('v2'));
  await api.waitFor(/server\.mjs changed: reloading[\s\S]*reload complete/);
  assert.deepEqual(await versions(api.port), new Set(['v2']));

  // Not watched: a change there does nothing (checked below: only the reloads we cause are counted).
  writeFileSync(join(src, 'node_modules', 'dep', 'index.js'), 'x');
  writeFileSync(join(src, '.git', 'HEAD'), 'x');

  writeFileSync(entry, 'export const = ;\n'); // a syntax error
  await api.waitFor(/Reload refused: worker 1 \(pid \d+\) exited with code 1 before it was ready/);
  assert.match(api.out.stderr, /SyntaxError/);
  assert.deepEqual(await versions(api.port), new Set(['v2']), 'the old version keeps serving');

  // A directory made after start is watched too.
  mkdirSync(join(src, 'lib', 'fresh'));
  await poll(() => /lib\/fresh changed: reloading/.test(api.out.stderr), 'the new directory to be seen');
  writeFileSync(entry, version('v3'));
  await poll(() => (api.out.stderr.match(/reload complete/g) ?? []).length >= 2, 'the second reload', 60_000);
  writeFileSync(join(src, 'lib', 'fresh', 'util.js'), 'export const x = 1;\n');
  await poll(
    () => (api.out.stderr.match(/lib\/fresh\/util\.js.* changed: reloading/g) ?? []).length >= 1,
    'a change in lib/fresh',
  );
  await poll(() => (api.out.stderr.match(/reload complete/g) ?? []).length >= 3, 'its reload', 60_000);
  assert.deepEqual(await versions(api.port), new Set(['v3']));
  assert.doesNotMatch(api.out.stderr, /node_modules|\.git/);

  const status = (await spindle(t, dir, ['status', 'dev', '--json'])).json;
  assert.ok(status.reloads.failed >= 1);
  api.child.kill('SIGTERM');
  assert.equal((await api.exit()).code, 0);
});
