import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runNode } from './helpers.js';

const example = fileURLToPath(new URL('../examples/producer-consumer/index.js', import.meta.url));

test('producer-consumer: every job reported once, the prime count right, all consumers used', {
  timeout: 60_000,
}, async () => {
  const r = await runNode([example, '--limit', '300000', '--chunk', '5000', '--consumers', '3', '--json'], {
    ms: 50_000,
  });
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').at(-1));
  assert.equal(summary.jobs, 60);
  assert.equal(summary.expectedJobs, 60);
  assert.equal(summary.primes, 25_997); // pi(300,000)
  assert.equal(summary.consumers, 3);
  assert.equal(
    summary.handledPerTask.reduce((a, b) => a + b, 0),
    60,
  );
  assert.equal(summary.handledPerTask.length, 3);
});

test('producer-consumer: the human-readable summary', { timeout: 60_000 }, async () => {
  const r = await runNode([example, '--limit', '10000', '--chunk', '1000', '--consumers', '2'], { ms: 50_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /producer: 10 jobs/);
  assert.match(r.stdout, /result: 1,229 primes/);
});
