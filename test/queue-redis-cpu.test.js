// A CPU-bound job: through spindle it runs exactly once, because the node's
// event loop stays free to renew the job's lock. The control — the same job
// in a plain inline BullMQ processor — blocks its loop, loses the lock and
// runs twice, which shows that this test can fail.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { JobQueue } from '../dist/queue/index.js';
import { startNode, startRedis } from './helpers/redis.js';
import { fixture } from './helpers.js';

const LOCK = '1000';
const STALLED = '500';
const SPIN_MS = 3500;

const runs = (file) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

async function runOnce(t, redis, name, nodeFile) {
  const nodes = await Promise.all([0, 1].map(() => startNode(t, nodeFile, [redis.url, name, LOCK, STALLED])));
  const queue = new JobQueue({ name, store: { redis: redis.url } });
  redis.cleanup(() => queue.close());
  const file = join(mkdtempSync(join(tmpdir(), 'spindle-cpu-')), 'runs');
  const job = await queue.add('spin', [file, SPIN_MS]);
  const outcome = await Promise.race([
    job.result().catch((err) => err),
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${name}: no result within 30 s`)), 30_000).unref()),
  ]);
  for (const n of nodes) n.child.kill('SIGKILL');
  return { outcome, runs: runs(file) };
}

test('control: a CPU-bound inline BullMQ processor loses its lock and the job runs twice', {
  timeout: 60_000,
}, async (t) => {
  const redis = await startRedis(t);
  // (it may then even fail: the second run blocks its own loop and stalls too)
  const { runs } = await runOnce(t, redis, 'inline', fixture('queue/inline-node.js').pathname);
  assert.ok(runs.length >= 2, `runs: ${runs.join(', ')}`);
});

test('spindle: the same CPU-bound job through work() runs exactly once', { timeout: 60_000 }, async (t) => {
  const redis = await startRedis(t);
  const { runs, outcome } = await runOnce(t, redis, 'spindle', fixture('queue/node.js').pathname);
  assert.equal(runs.length, 1, `runs: ${runs.join(', ')}`);
  assert.equal(typeof outcome, 'number', `completed: ${outcome}`);
});
