// Three worker nodes (separate processes) on one Redis queue; one is
// SIGKILLed mid-job and its job completes on another node.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobQueue } from '../dist/queue/index.js';
import { startNode, startRedis, until } from './helpers/redis.js';
import { fixture } from './helpers.js';

const nodeFile = fixture('queue/node.js').pathname;
const JOBS = 24;

test("jobs spread over three nodes; a SIGKILLed node's job completes elsewhere; each job completes exactly once", {
  timeout: 90_000,
}, async (t) => {
  const redis = await startRedis(t);
  const nodes = await Promise.all([0, 1, 2].map(() => startNode(t, nodeFile, [redis.url, 'spread', '2000', '1000'])));
  const queue = new JobQueue({ name: 'spread', store: { redis: redis.url } });
  redis.cleanup(() => queue.close());
  const starts = new Map(); // jobId -> pids that started it
  const completed = new Map(); // jobId -> times completed
  const results = new Map();
  let victim;
  let killedJob;
  queue.on('progress', ({ jobId, progress }) => {
    starts.set(jobId, [...(starts.get(jobId) ?? []), progress.pid]);
    // kill the third node once it is into its second job (it finished one)
    const third = nodes[2].pid;
    if (!victim && progress.pid === third && [...starts.values()].flat().filter((p) => p === third).length === 2) {
      victim = third;
      killedJob = jobId;
      nodes[2].child.kill('SIGKILL');
    }
  });
  const stalled = [];
  queue.on('stalled', ({ jobId }) => stalled.push(jobId));
  queue.on('completed', ({ jobId, result }) => {
    completed.set(jobId, (completed.get(jobId) ?? 0) + 1);
    results.set(jobId, result);
  });
  const jobs = [];
  for (let i = 0; i < JOBS; i++) jobs.push(await queue.add('slow', [i, 500]));
  await until(queue, 'completed', () => completed.size === JOBS, 75_000, `${JOBS} completed jobs`);
  assert.ok(victim, 'the third node was killed mid-job');
  assert.equal((await nodes[2].exited).signal, 'SIGKILL');
  for (const job of jobs) {
    assert.equal(completed.get(job.id), 1, `job ${job.id} completed once`);
    const n = starts.get(job.id)?.length ?? 0;
    if (job.id === killedJob) assert.ok(n === 2, `the killed job started twice, got ${n}`);
    else assert.equal(n, 1, `job ${job.id} started once`);
  }
  assert.deepEqual(stalled, [killedJob], 'the killed job was reported stalled');
  assert.notEqual(results.get(killedJob).pid, victim, 'the killed job completed on another node');
  const pids = new Set([...results.values()].map((r) => r.pid));
  for (const n of nodes) assert.ok(pids.has(n.pid), `node ${n.pid} completed jobs`);
  // every result() agrees with the events
  for (const job of jobs) assert.deepEqual(await job.result(), results.get(job.id));
  for (const n of nodes.slice(0, 2)) n.child.kill('SIGTERM');
  for (const n of nodes.slice(0, 2)) assert.equal((await n.exited).code, 0);
});
