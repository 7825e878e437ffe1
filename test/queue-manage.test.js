// Job management (issue 15) on both stores, with the same expectations:
// getJob, counts, jobs, pause/resume, retry, remove, removeWaiting, clean,
// retention (keep) and remembered jobIds, progress, groups' turns, limiter.
// Redis here runs a work() node in this process; queue-redis-manage.test.js
// runs nodes in their own processes.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Pool } from '../dist/index.js';
import { JobQueue, work } from '../dist/queue/index.js';
import { startRedis, until } from './helpers/redis.js';
import { fixture, rejectsCode, within } from './helpers.js';

const tasks = fixture('queue/tasks.js');
const STORES = ['memory', 'redis'];
const tmp = () => mkdtempSync(join(tmpdir(), 'spindle-qm-'));

/**
 * A queue that adds jobs and one that runs them: the same JobQueue with
 * the memory store; a producer and a work() node with Redis.
 */
async function open(t, store, { queue: queueOptions = {}, node: nodeOptions = {} } = {}) {
  if (store === 'memory') {
    const pool = new Pool({ worker: tasks, maxWorkers: 1 });
    const queue = new JobQueue({ name: 'm', pool, ...queueOptions, ...nodeOptions });
    t.after(async () => {
      await queue.destroy();
      await pool.destroy();
    });
    return { queue, runner: queue };
  }
  const redis = await startRedis(t);
  const node = await work({ tasks, queue: 'm', redis: redis.url, workers: 1, lockDuration: 1000, ...nodeOptions });
  redis.cleanup(() => node.destroy());
  const queue = new JobQueue({ name: 'm', store: { redis: redis.url }, ...queueOptions });
  redis.cleanup(() => queue.destroy());
  return { queue, runner: node.queue };
}

for (const store of STORES) {
  test(`${store}: getJob() gives the job's state, args, attempts, result or error and timestamps; null when unknown`, {
    timeout: 60_000,
  }, async (t) => {
    const { queue } = await open(t, store);
    assert.equal(await queue.getJob('nope'), null);
    await rejectsCode(queue.getJob(''), 'ERR_INVALID_OPTION');
    const ok = await queue.add('add', [2, 3], { jobId: 'sum' });
    assert.equal(ok.state, 'waiting');
    assert.equal(await within(ok.result(), 10_000, 'result'), 5);
    const done = await queue.getJob('sum');
    assert.deepEqual(
      [done.id, done.name, done.args, done.state, done.attemptsMade, done.returnValue, done.error, done.group],
      ['sum', 'add', [2, 3], 'completed', 1, 5, null, null],
    );
    assert.ok(done.addedAt <= done.startedAt && done.startedAt <= done.finishedAt, JSON.stringify(done));
    const bad = await queue.add('fail', ['boom'], { attempts: 2 });
    await rejectsCode(within(bad.result(), 10_000, 'result'), 'ERR_QUEUE_JOB_FAILED');
    const failed = await queue.getJob(bad.id);
    assert.equal(failed.state, 'failed');
    assert.equal(failed.attemptsMade, 2);
    assert.equal(failed.error.code, 'ERR_QUEUE_JOB_FAILED');
    assert.equal(failed.error.cause.message, 'boom');
    assert.deepEqual(failed.toJSON().error, { code: 'ERR_QUEUE_JOB_FAILED', message: 'boom' });
  });

  test(`${store}: the progress of a running job is readable through getJob()`, { timeout: 60_000 }, async (t) => {
    const { queue, runner } = await open(t, store);
    const file = join(tmp(), 'open');
    const started = new Promise((resolve) => runner.on('progress', resolve));
    const job = await queue.add('gate', [file]);
    await within(started, 10_000, 'the task reported progress');
    const running = await queue.getJob(job.id);
    assert.equal(running.state, 'active');
    assert.equal(running.attemptsMade, 1);
    assert.equal(running.progress.started, true);
    writeFileSync(file, '');
    assert.equal(await within(job.result(), 10_000, 'result'), 'opened');
  });

  test(`${store}: pause() holds jobs (counts and jobs() say paused, in run order), resume() runs them`, {
    timeout: 60_000,
  }, async (t) => {
    const { queue } = await open(t, store);
    await queue.pause();
    assert.equal(await queue.isPaused(), true);
    const low = await queue.add('echo', ['low'], { priority: -1 });
    const high = await queue.add('echo', ['high'], { priority: 5 });
    const mid = await queue.add('echo', ['mid']);
    const later = await queue.add('echo', ['later'], { delay: '1h' });
    assert.equal(later.state, 'delayed');
    const counts = await queue.counts();
    assert.deepEqual(counts, { waiting: 0, paused: 3, delayed: 1, active: 0, completed: 0, failed: 0 });
    const held = await queue.jobs({ state: 'paused' });
    assert.deepEqual(
      held.map((j) => [j.id, j.state]),
      [
        [high.id, 'paused'],
        [mid.id, 'paused'],
        [low.id, 'paused'],
      ],
    );
    assert.deepEqual(
      (await queue.jobs({ state: 'paused', offset: 1, limit: 1 })).map((j) => j.id),
      [mid.id],
    );
    assert.deepEqual(await queue.jobs({ state: 'waiting' }), []);
    assert.deepEqual(
      (await queue.jobs({ state: 'delayed' })).map((j) => j.id),
      [later.id],
    );
    await queue.resume();
    assert.deepEqual(await within(Promise.all([high.result(), mid.result(), low.result()]), 10_000, 'results'), [
      'high',
      'mid',
      'low',
    ]);
    const c = await queue.counts();
    assert.equal(c.completed, 3);
    assert.equal(c.paused + c.waiting, 0);
    // finished jobs newest first
    assert.deepEqual(
      (await queue.jobs({ state: 'completed', limit: 2 })).map((j) => j.returnValue),
      ['low', 'mid'],
    );
    // removeWaiting({ delayed }) takes the delayed one too; its result() learns it
    const waiting = later.result();
    await queue.removeWaiting({ delayed: true });
    await rejectsCode(within(waiting, 10_000, 'result of a removed job'), 'ERR_QUEUE_JOB_REMOVED');
    assert.equal((await queue.counts()).delayed, 0);
    assert.equal(await queue.getJob(later.id), null);
  });

  test(`${store}: job.retry() runs a failed job again; remove() takes a job out, refusing a running one`, {
    timeout: 60_000,
  }, async (t) => {
    const { queue, runner } = await open(t, store);
    const count = join(tmp(), 'count');
    const flaky = await queue.add('flaky', [count, 2]);
    await rejectsCode(within(flaky.result(), 10_000, 'first run'), 'ERR_QUEUE_JOB_FAILED');
    const failed = await queue.getJob(flaky.id);
    await failed.retry();
    const again = await queue.getJob(flaky.id);
    assert.ok(['waiting', 'active', 'completed'].includes(again.state), again.state);
    assert.equal(await within(again.result(), 10_000, 'the retry'), 2);
    const err = await rejectsCode((await queue.getJob(flaky.id)).retry(), 'ERR_QUEUE_JOB_STATE');
    assert.equal(err.state, 'completed');
    // a running job is not removed
    const file = join(tmp(), 'open');
    const started = new Promise((resolve) => runner.on('progress', resolve));
    const gate = await queue.add('gate', [file]);
    await within(started, 10_000, 'gate started');
    const busy = await rejectsCode(gate.remove(), 'ERR_QUEUE_JOB_STATE');
    assert.equal(busy.state, 'active');
    // a waiting one is, and its result() says so
    const waiting = await queue.add('echo', ['never']);
    const result = waiting.result();
    await waiting.remove();
    await rejectsCode(within(result, 10_000, 'result'), 'ERR_QUEUE_JOB_REMOVED');
    assert.equal(await queue.getJob(waiting.id), null);
    await waiting.remove(); // gone already: fine
    await rejectsCode(waiting.retry(), 'ERR_QUEUE_JOB_STATE');
    writeFileSync(file, '');
    assert.equal(await within(gate.result(), 10_000, 'gate'), 'opened');
    // a finished job removed: result() rejects instead of waiting for an end it will never see
    const snapshot = await queue.getJob(gate.id);
    await snapshot.remove();
    await rejectsCode(within(snapshot.result(), 10_000, 'result of a removed job'), 'ERR_QUEUE_JOB_REMOVED');
  });
}

for (const store of STORES) {
  test(`${store}: retention keeps the finished sets within their count; clean() removes by age; a job's own keep`, {
    timeout: 60_000,
  }, async (t) => {
    const { queue } = await open(t, store, { queue: { keep: { completed: { count: 3 }, failed: { count: 1 } } } });
    let over = 0;
    queue.on('completed', () => {
      void queue.counts().then((c) => {
        if (c.completed > 3) over++;
      });
    });
    const jobs = [];
    for (let i = 0; i < 8; i++) jobs.push(await queue.add('add', [i, 0]));
    await within(Promise.all(jobs.map((j) => j.result())), 20_000, 'results');
    for (let i = 0; i < 2; i++) await rejectsCode((await queue.add('fail', ['x'])).result(), 'ERR_QUEUE_JOB_FAILED');
    const c = await queue.counts();
    assert.equal(c.completed, 3);
    assert.equal(c.failed, 1);
    assert.equal(over, 0, 'the completed set never grew past its count');
    // the newest stay
    assert.deepEqual(
      (await queue.jobs({ state: 'completed' })).map((j) => j.returnValue),
      [7, 6, 5],
    );
    assert.equal(await queue.getJob(jobs[0].id), null);
    // a job's own rule: removed as it completes, result() still gets the value it awaited
    const gone = await queue.add('add', [1, 1], { keep: { completed: { count: 0 } } });
    assert.equal(await within(gone.result(), 10_000, 'result'), 2);
    assert.equal(await queue.getJob(gone.id), null);
    // clean(): by age, and all
    assert.equal(await queue.clean({ state: 'completed', olderThan: '1h' }), 0);
    assert.equal(await queue.clean({ state: 'completed', limit: 1 }), 1);
    assert.equal(await queue.clean({ state: 'completed' }), 2);
    assert.equal(await queue.clean({ state: 'failed' }), 1);
    const after = await queue.counts();
    assert.deepEqual([after.completed, after.failed], [0, 0]);
    // waiting jobs by age
    await queue.pause();
    const old = await queue.add('echo', ['old']);
    const pending = old.result();
    assert.equal(await queue.clean({ state: 'waiting', olderThan: '1h' }), 0);
    assert.equal(await queue.clean({ state: 'waiting' }), 1);
    await rejectsCode(within(pending, 10_000, 'result'), 'ERR_QUEUE_JOB_REMOVED');
  });

  test(`${store}: a caller's jobId still de-duplicates after its job was removed, for keep.jobIds`, {
    timeout: 60_000,
  }, async (t) => {
    const { queue } = await open(t, store, { queue: { keep: { jobIds: 400, completed: { count: 0 } } } });
    // a job removed as it completes: its end is seen by listening (Redis) before it can end
    queue.on('completed', () => {});
    const first = await queue.add('add', [1, 1], { jobId: 'once' });
    assert.equal(await within(first.result(), 10_000, 'result'), 2);
    assert.equal(await queue.getJob('once'), null);
    const again = await queue.add('add', [1, 1], { jobId: 'once' });
    assert.equal(again.state, 'removed');
    assert.equal(await queue.getJob('once'), null);
    await rejectsCode(within(again.result(), 10_000, 'result'), 'ERR_QUEUE_JOB_REMOVED');
    // once keep.jobIds has passed, the id adds a job again
    let fresh = again;
    const deadline = Date.now() + 10_000;
    while (fresh.state === 'removed' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      fresh = await queue.add('add', [2, 2], { jobId: 'once' });
    }
    assert.equal(fresh.state, 'waiting');
    assert.equal(await within(fresh.result(), 10_000, 'result'), 4);
  });

  test(`${store}: groups take turns: a small group added last finishes long before a large one`, {
    timeout: 60_000,
  }, async (t) => {
    const { queue, runner } = await open(t, store, { node: { groupConcurrency: 1 } });
    const order = [];
    runner.on('completed', ({ result }) => order.push(result.id));
    const big = [];
    for (let i = 0; i < 12; i++) big.push(await queue.add('slow', [`big${i}`, 5], { group: 'big' }));
    const small = [];
    for (let i = 0; i < 3; i++) small.push(await queue.add('slow', [`small${i}`, 5], { group: 'small' }));
    assert.equal(small[0].group, 'small');
    await within(Promise.all([...big, ...small].map((j) => j.result())), 30_000, 'results');
    await until(runner, 'completed', () => order.length === 15, 10_000, 'every completed event');
    const lastSmall = order.indexOf('small2');
    const bigBefore = order.slice(0, lastSmall).filter((id) => id.startsWith('big')).length;
    assert.ok(bigBefore <= 6, `the small group finished after ${bigBefore} of 12 big jobs: ${order}`);
    // a group's jobs run in their order
    assert.deepEqual(
      order.filter((id) => id.startsWith('big')),
      big.map((_, i) => `big${i}`),
    );
  });

  test(`${store}: limiter: never more than max starts in any span of duration`, { timeout: 60_000 }, async (t) => {
    const { queue } = await open(t, store, { node: { limiter: { max: 3, duration: 300 }, concurrency: 4 } });
    const jobs = [];
    for (let i = 0; i < 10; i++) jobs.push(await queue.add('add', [i, 0]));
    await within(Promise.all(jobs.map((j) => j.result())), 30_000, 'results');
    const starts = [];
    for (const j of jobs) starts.push((await queue.getJob(j.id)).startedAt);
    starts.sort((a, b) => a - b);
    for (let i = 0; i + 3 < starts.length; i++)
      assert.ok(starts[i + 3] - starts[i] >= 300, `4 starts within 300 ms: ${starts.slice(i, i + 4)}`);
  });
}

test('bad input is refused naming it: negative limits, a group with ":", unknown options', async (t) => {
  const pool = new Pool({ worker: tasks, maxWorkers: 1 });
  t.after(() => pool.destroy());
  const bad = [
    [{ limiter: { max: -1, duration: 100 } }, 'limiter.max'],
    [{ limiter: { max: 1, duration: -5 } }, 'limiter.duration'],
    [{ limiter: { max: 1 } }, 'limiter.duration'],
    [{ groupConcurrency: 0 }, 'groupConcurrency'],
    [{ groupLimiter: { max: 1.5, duration: 10 } }, 'groupLimiter.max'],
    [{ keep: { completed: { count: -1 } } }, 'keep.completed.count'],
    [{ keep: { failed: { age: '-1s' } } }, 'keep.failed.age'],
    [{ keep: { jobIds: 0 } }, 'keep.jobIds'],
    [{ keep: { completed: { cuont: 1 } } }, 'cuont'],
  ];
  for (const [options, option] of bad) {
    assert.throws(
      () => new JobQueue({ name: 'b', pool, ...options }),
      (e) => e.code === 'ERR_INVALID_OPTION' && e.option === option,
      option,
    );
  }
  // limits belong to queues that run jobs
  assert.throws(
    () => new JobQueue({ name: 'b', store: { redis: 'redis://127.0.0.1:1' }, groupConcurrency: 1 }),
    (e) => e.code === 'ERR_INVALID_OPTION' && e.option === 'groupConcurrency',
  );
  const queue = new JobQueue({ name: 'b', pool });
  t.after(() => queue.destroy());
  for (const [options, option] of [
    [{ group: 'a:b' }, 'options.group'],
    [{ group: '' }, 'options.group'],
    [{ keep: { completed: { count: -2 } } }, 'options.keep.completed.count'],
    [{ keep: { jobIds: '1d' } }, 'jobIds'],
  ]) {
    const err = await rejectsCode(queue.add('add', [1, 2], options), 'ERR_INVALID_OPTION');
    assert.equal(err.option, option);
  }
  for (const [call, option] of [
    [() => queue.jobs({ state: 'waiting', limit: -1 }), 'options.limit'],
    [() => queue.jobs({ state: 'waiting', offset: -1 }), 'options.offset'],
    [() => queue.jobs({ state: 'nope' }), 'options.state'],
    [() => queue.jobs(), 'options'],
    [() => queue.clean({ state: 'active' }), 'options.state'],
    [() => queue.clean({ state: 'completed', olderThan: -1 }), 'options.olderThan'],
    [() => queue.clean({ state: 'completed', limit: -1 }), 'options.limit'],
    [() => queue.removeWaiting({ delayed: 'yes' }), 'options.delayed'],
  ]) {
    const err = await rejectsCode(call(), 'ERR_INVALID_OPTION');
    assert.equal(err.option, option);
  }
  await queue.close();
  await rejectsCode(queue.counts(), 'ERR_QUEUE_CLOSED');
  await rejectsCode(queue.getJob('x'), 'ERR_QUEUE_CLOSED');
});

test('redis: group names with a newline, multibyte characters and digits: held jobs keep their group and args, then run', {
  timeout: 60_000,
}, async (t) => {
  // spindle holds a group job's JSON after its group's name: a name with
  // '\n', spaces, digits or bytes beyond ASCII must not shift where it ends
  const redis = await startRedis(t);
  const queue = new JobQueue({ name: 'g', store: { redis: redis.url } });
  redis.cleanup(() => queue.destroy());
  const groups = ['a\nb', '12 3', 'tenant €—𝄞', '{x}\n{y}'];
  const jobs = [];
  for (const [i, group] of groups.entries()) jobs.push(await queue.add('add', [i, 10], { group }));
  // no node alive yet: spindle holds them all, waiting for their turns
  const listed = await queue.jobs({ state: 'waiting' });
  assert.deepEqual(listed.map((j) => [j.group, j.args]).sort(), groups.map((g, i) => [g, [i, 10]]).sort());
  for (const [i, job] of jobs.entries()) {
    const got = await queue.getJob(job.id);
    assert.deepEqual([got.state, got.group, got.args], ['waiting', groups[i], [i, 10]]);
  }
  const node = await work({ tasks, queue: 'g', redis: redis.url, workers: 1, groupConcurrency: 1 });
  redis.cleanup(() => node.destroy());
  assert.deepEqual(await within(Promise.all(jobs.map((j) => j.result())), 20_000, 'results'), [10, 11, 12, 13]);
  assert.deepEqual(await queue.counts().then((c) => c.waiting), 0);
});

test("redis: a delayed group job a producer adds starts when due, not at the nodes' next heartbeat", {
  timeout: 60_000,
}, async (t) => {
  // lockDuration 60 s: the node's heartbeat (which also admits) comes every 30 s
  const redis = await startRedis(t);
  const node = await work({ tasks, queue: 'd', redis: redis.url, workers: 1, lockDuration: '60s' });
  redis.cleanup(() => node.destroy());
  const queue = new JobQueue({ name: 'd', store: { redis: redis.url } });
  redis.cleanup(() => queue.destroy());
  await queue.add('add', [0, 0], { group: 'warm' }).then((j) => within(j.result(), 10_000, 'first result'));
  const job = await queue.add('add', [2, 3], { group: 'g', delay: 50 });
  assert.equal(job.state, 'delayed');
  assert.equal(await within(job.result(), 15_000, 'the delayed job'), 5);
});
