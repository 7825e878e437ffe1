// `spindle work`: joins a Redis queue, runs jobs, and on SIGTERM finishes its
// running job, exits 0 and loses nothing; bad flags exit 2 naming valid values.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { JobQueue, work } from '../dist/queue/index.js';
import { bin, tempDir } from './helpers/cli.js';
import { startNode, startRedis, until } from './helpers/redis.js';
import { fixture } from './helpers.js';

const tasks = fixture('queue/tasks.js').pathname;

test('spindle work runs jobs; SIGTERM mid-job exits 0 and every job still completes once', {
  timeout: 60_000,
}, async (t) => {
  const redis = await startRedis(t);
  // The URL comes from SPINDLE_REDIS_URL, so that a password would not show in `ps`.
  process.env.SPINDLE_REDIS_URL = redis.url;
  // its control socket goes to a directory of its own, not the user's
  process.env.SPINDLE_HOME = tempDir('home-');
  const starting = startNode(t, bin, ['work', tasks, '--queue', 'cli', '--workers', '1'], {
    ready: /working on queue 'cli'/,
  });
  delete process.env.SPINDLE_REDIS_URL;
  delete process.env.SPINDLE_HOME;
  const node = await starting;
  const queue = new JobQueue({ name: 'cli', store: { redis: redis.url } });
  redis.cleanup(() => queue.close());
  const completed = new Map();
  queue.on('completed', ({ jobId, result }) => completed.set(jobId, [...(completed.get(jobId) ?? []), result.pid]));
  let started = 0;
  queue.on('progress', () => started++);
  const jobs = [];
  for (let i = 0; i < 6; i++) jobs.push(await queue.add('slow', [i, 300]));
  await until(queue, 'progress', () => started >= 1, 20_000, 'the first job to start');
  node.child.kill('SIGTERM');
  const { code } = await node.exited;
  assert.equal(code, 0, node.output());
  assert.match(node.output(), /SIGTERM received/);
  // the job it was running finished there; the rest wait for another node
  await until(queue, 'completed', () => completed.size >= 1, 10_000, 'the job it was running to complete');
  const other = await work({ tasks, queue: 'cli', redis: redis.url, workers: 1 });
  redis.cleanup(() => other.close());
  const results = await Promise.all(jobs.map((j) => j.result()));
  assert.equal(results.length, 6);
  await until(queue, 'completed', () => completed.size === 6, 10_000, 'six completed events');
  for (const j of jobs) assert.equal(completed.get(j.id).length, 1, `job ${j.id} completed once`);
  const pids = new Set([...completed.values()].flat());
  assert.ok(pids.has(node.pid) && pids.has(process.pid), 'both nodes ran jobs');
});

test('spindle work: --help, missing and bad flags', () => {
  const run = (...args) => spawnSync(process.execPath, [bin, 'work', ...args], { encoding: 'utf8' });
  const help = run('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Examples:\n {2}spindle work/);
  const noQueue = run(tasks, '--redis', 'redis://127.0.0.1:1');
  assert.equal(noQueue.status, 2);
  assert.match(noQueue.stderr, /--queue/);
  const badWorkers = run(tasks, '-q', 'x', '-r', 'redis://127.0.0.1:1', '--workers', 'lots');
  assert.equal(badWorkers.status, 2);
  assert.match(badWorkers.stderr, /positive integer or 'auto'/);
  const badRuntime = run(tasks, '-q', 'x', '-r', 'redis://127.0.0.1:1', '--runtime', 'fiber');
  assert.equal(badRuntime.status, 2);
  assert.match(badRuntime.stderr, /'thread', 'process'/);
  const unknown = run(tasks, '--frobnicate');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /Valid options: --queue/);
  const missing = run('/nonexistent/tasks.js', '-q', 'x', '-r', 'redis://127.0.0.1:1');
  assert.equal(missing.status, 2, missing.stderr);
  const noRedis = run(tasks, '-q', 'x');
  assert.equal(noRedis.status, 2);
  assert.match(noRedis.stderr, /Missing --redis URL \(or \$SPINDLE_REDIS_URL\)/);
  const badGrace = run(tasks, '-q', 'x', '-r', 'redis://127.0.0.1:1', '--grace', '10');
  assert.equal(badGrace.status, 2);
  assert.match(badGrace.stderr, /Expected `--grace` to be a duration with a unit/);
  assert.match(help.stdout, /SPINDLE_REDIS_URL/);
});

test('spindle work never prints the password of a refused Redis URL (issue 11 item 2)', () => {
  const run = (args, env = {}) =>
    spawnSync(process.execPath, [bin, 'work', tasks, '-q', 'x', ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
  for (const url of [
    'http://:hunter2@redis.internal:6379',
    'redis://:hunter2 with space@redis.internal:6379',
    'rediss//user:hunter2@redis.internal',
    'hunter2',
  ]) {
    for (const r of [run(['--redis', url]), run([], { SPINDLE_REDIS_URL: url })]) {
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /Expected `(--redis|\$SPINDLE_REDIS_URL)` to be a redis:\/\/ or rediss:\/\/ URL/);
      assert.doesNotMatch(r.stderr, /hunter2/, `${url} leaked in: ${r.stderr}`);
    }
  }
});
