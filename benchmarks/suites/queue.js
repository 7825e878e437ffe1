// Job queues on one Redis: 2 spindle nodes (separate processes, `work()` with
// a pool of 1 thread each) vs 2 BullMQ Workers (separate processes,
// `useWorkerThreads: true` sandboxed processor, concurrency 1 each): 2
// threads of job execution on each side. A third row runs the spindle nodes
// with concurrency 2 (one job fetched ahead per thread). N jobs are added up front (addBulk,
// same producer for both); jobs/s counts from the first add to the last
// completion. Starts its own redis-server (no persistence) on a free port.
//
// A second table adds jobs through spindle's own JobQueue.add() (100 at a
// time) and compares the same 2 nodes with groups off and on (every job in
// one of 10, or of 100, groups, groupConcurrency 1: the groups' turns, slots
// and hand-over to BullMQ in spindle's Lua scripts are the cost; with 10
// groups at most 10 jobs are in flight, so the round trips between one job
// of a group and the next show). With SPINDLE_BASE set to
// the directory of another spindle build (built, with its node_modules), the
// first table gains a row for it: before/after figures from one run.
// `--groups` runs the second table alone.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents } from 'bullmq';
import { median, table, writeJson } from '../lib/report.js';

const nodeFile = fileURLToPath(new URL('../lib/queue-node.js', import.meta.url));
const base = process.env.SPINDLE_BASE;
const libs = ['spindle', 'spindle-prefetch', 'bullmq', ...(base ? ['spindle-base'] : [])];
const labels = {
  spindle: '2 spindle work() nodes',
  'spindle-prefetch': '2 spindle work() nodes, concurrency 2',
  bullmq: '2 BullMQ Workers, useWorkerThreads',
  'spindle-base': `2 spindle work() nodes, the build in ${base}`,
  'groups-off': 'spindle add(), no groups',
  'groups-on': 'spindle add(), 10 groups, groupConcurrency 1',
  'groups-on-100': 'spindle add(), 100 groups, groupConcurrency 1',
};

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'spindle-bench-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  await new Promise((resolve, reject) => {
    child.once('error', (e) => reject(new Error(`redis-server could not start (is it installed?): ${e.message}`)));
    child.once('spawn', resolve);
  });
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Queue('probe', { connection: { host: '127.0.0.1', port } });
  await probe.waitUntilReady();
  await probe.close();
  return {
    url,
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function startNode(kind, url, queue) {
  const child = spawn(process.execPath, [nodeFile, kind, url, queue], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${kind} node exited with ${code} before it was ready`)));
  });
}

/** One measurement: jobs/s of `n` jobs of `name(arg)` through 2 nodes of `kind`. */
async function once(redis, kind, name, arg, n, seq) {
  const queueName = `bench-${kind}-${name}-${seq}`;
  const connection = { host: '127.0.0.1', port: redis.port };
  const nodes = await Promise.all([startNode(kind, redis.url, queueName), startNode(kind, redis.url, queueName)]);
  const queue = new Queue(queueName, { connection });
  // a fresh queue: read its event stream from the start (from '$' the first events can be missed)
  const events = new QueueEvents(queueName, { connection, lastEventId: '0-0' });
  await events.waitUntilReady();
  let done = 0;
  let finish;
  const all = new Promise((resolve) => (finish = resolve));
  events.on('completed', () => {
    if (++done === n) finish(performance.now());
  });
  events.on('failed', ({ failedReason }) => console.error(`job failed: ${failedReason}`));
  const jobs = Array.from({ length: n }, (_, i) => ({
    name,
    data: { args: [name === 'tiny' ? i : arg], backoff: { type: 'fixed', delay: 0, jitter: 0 } },
  }));
  const t0 = performance.now();
  for (let i = 0; i < n; i += 500) await queue.addBulk(jobs.slice(i, i + 500));
  const t1 = await all;
  for (const c of nodes) c.kill('SIGKILL');
  await Promise.all([events.close(), queue.close()]);
  return n / ((t1 - t0) / 1000);
}

/** Jobs/s of `n` tiny jobs added through spindle's JobQueue.add(), spread over `groups` groups (0: none). */
async function onceSpindle(redis, groups, n, seq) {
  const { JobQueue } = await import('spindle/queue');
  const queueName = `bench-groups-${groups}-${seq}`;
  const connection = { host: '127.0.0.1', port: redis.port };
  const kind = groups ? 'spindle-groups' : 'spindle';
  const nodes = await Promise.all([startNode(kind, redis.url, queueName), startNode(kind, redis.url, queueName)]);
  const producer = new JobQueue({ name: queueName, store: { redis: redis.url } });
  // a fresh queue: read its event stream from the start (from '$' the first events can be missed)
  const events = new QueueEvents(queueName, { connection, lastEventId: '0-0' });
  await events.waitUntilReady();
  let done = 0;
  let finish;
  const all = new Promise((resolve) => (finish = resolve));
  events.on('completed', () => {
    if (++done === n) finish(performance.now());
  });
  events.on('failed', ({ failedReason }) => console.error(`job failed: ${failedReason}`));
  await producer.counts(); // connected
  const t0 = performance.now();
  for (let i = 0; i < n; i += 100) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 100); j++)
      batch.push(producer.add('tiny', [j], groups ? { group: `g${j % groups}` } : undefined));
    await Promise.all(batch);
  }
  const t1 = await all;
  for (const c of nodes) c.kill('SIGKILL');
  await Promise.all([events.close(), producer.close()]);
  return n / ((t1 - t0) / 1000);
}

export async function run(flags) {
  const quick = flags.includes('--quick');
  const groupsOnly = flags.includes('--groups');
  const passes = quick ? 1 : 3;
  const scenarios = [
    { key: 'tiny', title: 'tiny jobs (return the argument)', name: 'tiny', arg: 0, n: quick ? 500 : 2000 },
    { key: 'cpu5', title: '5 ms CPU jobs', name: 'cpu', arg: 5, n: quick ? 100 : 400 },
  ];
  const redis = await startRedis();
  const results = {};
  let seq = 0;
  try {
    for (const s of groupsOnly ? [] : scenarios) {
      const values = Object.fromEntries(libs.map((l) => [l, []]));
      for (let p = 0; p < passes; p++) {
        const order = libs.map((_, i) => libs[(i + p) % libs.length]);
        for (const lib of order) {
          process.stderr.write(`  ${s.key} ${lib} pass ${p + 1}/${passes}\n`);
          values[lib].push(await once(redis, lib, s.name, s.arg, s.n, seq++));
        }
      }
      const med = Object.fromEntries(libs.map((l) => [l, median(values[l])]));
      results[s.key] = { jobs: s.n, median: med, all: values };
      table(
        `${s.title}: ${s.n} jobs through 2 nodes × 1 thread (jobs/s, median of ${passes})`,
        libs.map((l) => ({ nodes: labels[l], 'jobs/s': med[l], 'vs BullMQ': med[l] / med.bullmq })),
      );
      console.log(
        `spindle / BullMQ = ${(med.spindle / med.bullmq).toFixed(2)}x; with concurrency 2: ${(med['spindle-prefetch'] / med.bullmq).toFixed(2)}x` +
          (base ? `; the base build: ${(med['spindle-base'] / med.bullmq).toFixed(2)}x` : ''),
      );
    }
    const n = quick ? 500 : 2000;
    const groupCount = { 'groups-off': 0, 'groups-on': 10, 'groups-on-100': 100 };
    const kinds = Object.keys(groupCount);
    const values = Object.fromEntries(kinds.map((k) => [k, []]));
    for (let p = 0; p < passes; p++) {
      for (const k of kinds.map((_, i) => kinds[(i + p) % kinds.length])) {
        process.stderr.write(`  groups ${k} pass ${p + 1}/${passes}\n`);
        values[k].push(await onceSpindle(redis, groupCount[k], n, seq++));
      }
    }
    const med = Object.fromEntries(kinds.map((k) => [k, median(values[k])]));
    results.groups = { jobs: n, median: med, all: values };
    table(
      `tiny jobs added with spindle's add(): ${n} jobs through 2 nodes × 1 thread (jobs/s, median of ${passes})`,
      kinds.map((k) => ({ producer: labels[k], 'jobs/s': med[k], 'vs no groups': med[k] / med['groups-off'] })),
    );
    console.log(
      `groups on / off = ${(med['groups-on'] / med['groups-off']).toFixed(2)}x (10 groups), ${(med['groups-on-100'] / med['groups-off']).toFixed(2)}x (100 groups)`,
    );
  } finally {
    await redis.stop();
  }
  writeJson('queue', results);
}
