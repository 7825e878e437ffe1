// Issue 15's failure semantics: a node SIGKILLed while it runs a group's
// job does not block the group (the job runs again elsewhere once its lock
// expires, in the same slot: still one at a time); a Redis restart (append-
// only file) keeps a paused queue paused, a schedule's next run, and the
// groups' turns.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { JobQueue, work } from '../dist/queue/index.js';
import { startNode, startRedis, until } from './helpers/redis.js';
import { fixture, within } from './helpers.js';

const nodeFile = fixture('queue/node.js').pathname;
const tasks = fixture('queue/tasks.js');
const tmp = () => mkdtempSync(join(tmpdir(), 'spindle-qd-'));

test("a node SIGKILLed mid-job: its group's job runs again elsewhere after the lock expires, the group stays one at a time", {
  timeout: 90_000,
}, async (t) => {
  const redis = await startRedis(t);
  const args = (n) => [redis.url, 'dead', '1000', '500', '1', JSON.stringify({ groupConcurrency: 1 })].slice(0, n);
  const list = await Promise.all([0, 1].map(() => startNode(t, nodeFile, args(6))));
  const queue = new JobQueue({ name: 'dead', store: { redis: redis.url } });
  redis.cleanup(() => queue.close());
  const dir = tmp();
  const file = join(dir, 'runs');
  writeFileSync(file, '');
  const starts = [];
  queue.on('progress', ({ jobId, progress }) => starts.push({ jobId, pid: progress.pid, at: Date.now() }));
  const stalled = [];
  queue.on('stalled', ({ jobId }) => stalled.push(jobId));
  const gate = await queue.add('gate', [join(dir, 'open')], { group: 'g' });
  const rest = [];
  for (let i = 0; i < 3; i++) rest.push(await queue.add('interval', [file, 'g', 20], { group: 'g' }));
  await until(queue, 'progress', () => starts.length === 1, 30_000, 'the gate job started');
  const victim = list.find((n) => n.pid === starts[0].pid);
  victim.child.kill('SIGKILL');
  // the lock expires, the job runs again on the other node: its slot went with it
  await until(queue, 'progress', () => starts.length === 2, 30_000, 'the gate job started again');
  assert.equal(starts[1].jobId, gate.id, `the group's next job waited: ${JSON.stringify(starts)}`);
  assert.notEqual(starts[1].pid, victim.pid);
  assert.deepEqual(stalled, [gate.id]);
  writeFileSync(join(dir, 'open'), '');
  assert.equal(await within(gate.result(), 20_000, 'gate'), 'opened');
  await within(Promise.all(rest.map((j) => j.result())), 30_000, 'the rest of the group');
  const runs = readFileSync(file, 'utf8').trim().split('\n').map(JSON.parse);
  const gateDone = (await queue.getJob(gate.id)).finishedAt;
  for (const r of runs) assert.ok(r.start >= gateDone, 'the group ran one job at a time');
  const survivor = list.find((n) => n !== victim);
  survivor.child.kill('SIGTERM');
  assert.equal((await survivor.exited).code, 0);
});

test('Redis restarted (append-only file): a paused queue stays paused, a schedule keeps its next run, groups go on', {
  timeout: 90_000,
}, async (t) => {
  const redis = await startRedis(t, { persist: true });
  const node = await work({
    tasks,
    queue: 'aof',
    redis: redis.url,
    workers: 1,
    groupConcurrency: 1,
    lockDuration: 1000,
  });
  redis.cleanup(() => node.close());
  node.queue.on('error', () => {}); // reported while Redis is away
  const queue = new JobQueue({ name: 'aof', store: { redis: redis.url } });
  redis.cleanup(() => queue.close());
  queue.on('error', () => {});
  const daily = await queue.schedule('daily', 'tick', [], { cron: '0 3 * * *', tz: 'Europe/Berlin' });
  await queue.pause();
  const jobs = [];
  for (let i = 0; i < 4; i++) jobs.push(await queue.add('echo', [i], { group: i % 2 ? 'a' : 'b' }));
  const before = await queue.counts();
  assert.equal(before.paused, 4);
  await redis.stop();
  await redis.start();
  assert.equal(await within(queue.isPaused(), 20_000, 'isPaused'), true);
  const [kept] = await queue.schedules();
  assert.deepEqual([kept.key, kept.next], ['daily', daily.next]);
  assert.equal((await queue.counts()).paused, 4);
  await queue.resume();
  assert.deepEqual(await within(Promise.all(jobs.map((j) => j.result())), 30_000, 'results'), [0, 1, 2, 3]);
});
