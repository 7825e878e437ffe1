// The BullMQ section of docs/migrating.md: its "after" example and task
// module are files in test/fixtures/migrating/, shown in the doc character
// for character, and the example runs against a private redis-server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { doc, shown } from './helpers/migrating.js';
import { startRedis } from './helpers/redis.js';

const root = fileURLToPath(new URL('..', import.meta.url));

const files = ['test/fixtures/migrating/bullmq.js', 'test/fixtures/migrating/bullmq-tasks.js'];

test('docs/migrating.md shows the BullMQ "after" files as they are, in its BullMQ section', () => {
  const section = doc.indexOf('\n## BullMQ\n');
  assert.notEqual(section, -1, 'a BullMQ section');
  for (const file of files) {
    assert.equal(shown(file), readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'), file);
    assert.ok(doc.indexOf(`](../${file})`) > section, `${file} is shown in the BullMQ section`);
  }
});

test('the BullMQ "after" example runs', { timeout: 90_000 }, async (t) => {
  const redis = await startRedis(t);
  const child = spawn(process.execPath, [files[0]], {
    cwd: root,
    env: { ...process.env, REDIS_URL: redis.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout.on('data', (c) => {
    output += c;
  });
  child.stderr.on('data', (c) => {
    output += c;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(timer);
  assert.equal(code, 0, `exit ${code} ${signal ?? ''}: ${output}`);
});
