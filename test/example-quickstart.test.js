import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runNode } from './helpers.js';

const demo = fileURLToPath(new URL('../examples/quickstart/index.js', import.meta.url));

test('the quick-start demo runs, agrees with itself and prints its table', { timeout: 60_000 }, async () => {
  const r = await runNode([demo, '--ranges', '6', '--size', '200000'], { ms: 50_000 });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const main = lines.find((l) => l.startsWith('main thread'));
  const pool = lines.find((l) => l.startsWith('Pool ('));
  assert.ok(main && pool, r.stdout);
  // both runs count the same primes below 1.2 million: 92,938
  assert.match(main, /92,938$/);
  assert.match(pool, /92,938$/);
  assert.match(pool, /\d+ ms\s+\d+\.\d\dx\s+\d+ ms/);
  assert.match(r.stdout, /worst event-loop delay/);
});
