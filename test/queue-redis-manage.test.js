// Issue 15 across processes, real Redis: nodes are separate processes
// (test/fixtures/queue/node.js), so every guarantee is checked where it
// matters: getJob and progress from a process that did not add the job,
// pause/resume over 3 nodes, a cron schedule over 3 nodes and a redeploy,
// groups over 3 nodes, the rate limit over nodes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { JobQueue } from '../dist/queue/index.js';
import { startNode, startRedis, until } from './helpers/redis.js';
import { fixture, runNode, within } from './helpers.js';

const nodeFile = fixture('queue/node.js').pathname;
const tmp = () => mkdtempSync(join(tmpdir(), 'spindle-qn-'));

/** `count` nodes on `queue`, each with `options` for work(); killed after the test. */
function nodes(t, redis, queue, count, options = {}, { lock = '2000', stalled = '1000' } = {}) {
  return Promise.all(
    Array.from({ length: count }, () =>
      startNode(t, nodeFile, [redis.url, queue, lock, stalled, '1', JSON.stringify(options)]),
    ),
  );
}

async function stop(list) {
  for (const n of list) n.child.kill('SIGTERM');
  for (const n of list) assert.equal((await within(n.exited, 20_000, 'node exit')).code, 0, n.output());
}

test("getJob() and a running job's progress from a process that did not add the job; counts", {
  timeout: 90_000,
}, async (t) => {
  const redis = await startRedis(t);
  const [node] = await nodes(t, redis, 'who', 1);
  const gate = join(tmp(), 'open');
  // another process adds the job and exits
  const code = `import { JobQueue } from 'spindle/queue';
    const q = new JobQueue({ name: 'who', store: { redis: process.argv[1] } });
    await q.add('gate', [process.argv[2]], { jobId: 'from-elsewhere' });
    await q.close();`;
  const added = await runNode(['--input-type=module', '-e', code, redis.url, gate]);
  assert.equal(added.code, 0, added.stderr);
  const queue = new JobQueue({ name: 'who', store: { redis: redis.url } });
  redis.cleanup(() => queue.close());
  const first = await queue.getJob('from-elsewhere');
  assert.deepEqual([first.name, first.args], ['gate', [gate]]);
  assert.ok(['waiting', 'active'].includes(first.state), first.state);
  // it may have started before this process listened: look until the node reported progress
  let running = first;
  for (const deadline = Date.now() + 20_000; !running.progress?.started && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 50));
    running = await queue.getJob('from-elsewhere');
  }
  assert.equal(running.state, 'active');
  assert.deepEqual(running.progress, { pid: node.pid, started: true });
  assert.equal((await queue.counts()).active, 1);
  writeFileSync(gate, '');
  assert.equal(await within(running.result(), 20_000, 'result'), 'opened');
  const done = await queue.getJob('from-elsewhere');
  assert.deepEqual([done.state, done.returnValue], ['completed', 'opened']);
  assert.deepEqual(await queue.counts(), { waiting: 0, paused: 0, delayed: 0, active: 0, completed: 1, failed: 0 });
  await stop([node]);
});

test('pause() stops all 3 nodes from starting jobs while their running jobs finish; resume() restarts them', {
  timeout: 90_000,
}, async (t) => {
  const redis = await startRedis(t);
  const list = await nodes(t, redis, 'hold', 3);
  const queue = new JobQueue({ name: 'hold', store: { redis: redis.url } });
  redis.cleanup(() => queue.close());
  const dir = tmp();
  const started = new Set();
  queue.on('progress', ({ jobId }) => started.add(jobId));
  const jobs = [];
  for (let i = 0; i < 6; i++) jobs.push(await queue.add('gate', [join(dir, `g${i}`)]));
  // three run, one per node
  await until(queue, 'progress', () => started.size === 3, 30_000, 'three jobs running');
  await queue.pause();
  const running = [...started];
  for (const id of running) writeFileSync(join(dir, `g${jobs.findIndex((j) => j.id === id)}`), '');
  await within(Promise.all(running.map((id) => jobs.find((j) => j.id === id).result())), 20_000, 'running jobs');
  // they finished and no node took another: the queue is paused everywhere
  const paused = await queue.counts();
  assert.deepEqual([paused.active, paused.paused, paused.completed], [0, 3, 3]);
  assert.equal(started.size, 3);
  for (let i = 0; i < 6; i++) writeFileSync(join(dir, `g${i}`), '');
  await queue.resume();
  await within(Promise.all(jobs.map((j) => j.result())), 30_000, 'every job after resume');
  assert.equal((await queue.counts()).completed, 6);
  await stop(list);
});

test('a cron schedule every second over 3 nodes, through a redeploy: one run per tick, one schedule', {
  timeout: 120_000,
}, async (t) => {
  const redis = await startRedis(t);
  // every node makes the same schedule() call at start-up, as a deployment would
  const options = { schedule: ['tick', 'tick', [], { cron: '* * * * * *', keep: { completed: { count: 1000 } } }] };
  const queue = new JobQueue({ name: 'cron', store: { redis: redis.url } });
  redis.cleanup(() => queue.close());
  const runs = new Map(); // jobId -> pids that started it
  queue.on('progress', ({ jobId, progress }) => runs.set(jobId, [...(runs.get(jobId) ?? []), progress.pid]));
  await queue.counts(); // the events reader is running before the first tick
  const first = await nodes(t, redis, 'cron', 3, options);
  await until(queue, 'progress', () => runs.size >= 5, 30_000, 'five ticks');
  // redeploy: every node stops, three new ones start and schedule again
  await stop(first);
  const second = await nodes(t, redis, 'cron', 3, options);
  const before = runs.size;
  await until(queue, 'progress', () => runs.size >= before + 5, 30_000, 'five more ticks');
  assert.equal((await queue.schedules()).length, 1, 'one schedule');
  await queue.unschedule('tick');
  await stop(second);
  const ticks = [...runs.keys()].map((id) => Number(id.split(':')[2])).sort((a, b) => a - b);
  for (const [id, pids] of runs) assert.equal(pids.length, 1, `${id} ran ${pids.length} times`);
  assert.equal(new Set(ticks).size, ticks.length);
  for (const tick of ticks) assert.equal(tick % 1000, 0, 'runs are on whole seconds');
  // consecutive seconds; a tick is skipped only when the run before it started late (as cron does)
  for (let i = 1; i < ticks.length; i++) {
    if (ticks[i] - ticks[i - 1] === 1000) continue;
    const late = await queue.getJob(`repeat:tick:${ticks[i - 1]}`);
    assert.ok(
      late && late.startedAt >= ticks[i - 1] + 1000,
      `tick ${ticks[i - 1] + 1000} was skipped though the run before it started at ${late?.startedAt}`,
    );
  }
  const nodesUsed = new Set([...runs.values()].flat());
  assert.ok(nodesUsed.size >= 2, 'the runs spread over nodes');
});

test('groupConcurrency 1 over 3 nodes: no two jobs of a group overlap; a small group finishes long before a large one', {
  timeout: 120_000,
}, async (t) => {
  const redis = await startRedis(t);
  const list = await nodes(t, redis, 'fair', 3, { groupConcurrency: 1 });
  const queue = new JobQueue({ name: 'fair', store: { redis: redis.url } });
  redis.cleanup(() => queue.close());
  const file = join(tmp(), 'runs');
  writeFileSync(file, '');
  const order = [];
  queue.on('completed', ({ result }) => order.push(result));
  const jobs = [];
  for (let i = 0; i < 15; i++) jobs.push(await queue.add('interval', [file, 'big', 40], { group: 'big' }));
  for (let i = 0; i < 5; i++) jobs.push(await queue.add('interval', [file, 'mid', 40], { group: 'mid' }));
  for (let i = 0; i < 3; i++) jobs.push(await queue.add('interval', [file, 'small', 40], { group: 'small' }));
  await within(Promise.all(jobs.map((j) => j.result())), 90_000, 'every job');
  const runs = readFileSync(file, 'utf8').trim().split('\n').map(JSON.parse);
  assert.equal(runs.length, 23);
  for (const group of ['big', 'mid', 'small']) {
    const mine = runs.filter((r) => r.group === group).sort((a, b) => a.start - b.start);
    for (let i = 1; i < mine.length; i++)
      assert.ok(
        mine[i].start >= mine[i - 1].end,
        `${group}: two runs overlap: ${JSON.stringify(mine.slice(i - 1, i + 1))}`,
      );
  }
  // groups ran side by side, on more than one node
  assert.ok(new Set(runs.map((r) => r.pid)).size >= 2);
  const smallDone = Math.max(...runs.filter((r) => r.group === 'small').map((r) => r.end));
  const bigBefore = runs.filter((r) => r.group === 'big' && r.end <= smallDone).length;
  assert.ok(bigBefore <= 7, `the small group finished after ${bigBefore} of 15 big jobs`);
  await stop(list);
});

test('limiter over 3 nodes: never more than max jobs start in any span of duration', { timeout: 90_000 }, async (t) => {
  const redis = await startRedis(t);
  const limiter = { max: 3, duration: 400 };
  const list = await nodes(t, redis, 'rate', 3, { limiter, concurrency: 3 });
  const queue = new JobQueue({ name: 'rate', store: { redis: redis.url } });
  redis.cleanup(() => queue.close());
  const jobs = [];
  for (let i = 0; i < 15; i++) jobs.push(await queue.add('add', [i, 0]));
  await within(Promise.all(jobs.map((j) => j.result())), 60_000, 'every job');
  const starts = [];
  for (const j of jobs) starts.push((await queue.getJob(j.id)).startedAt);
  starts.sort((a, b) => a - b);
  for (let i = 0; i + limiter.max < starts.length; i++)
    assert.ok(
      starts[i + limiter.max] - starts[i] >= limiter.duration,
      `${limiter.max + 1} starts within ${limiter.duration} ms: ${starts.slice(i, i + limiter.max + 1)}`,
    );
  await stop(list);
});
