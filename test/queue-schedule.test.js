// Repeating jobs (issue 15): schedule / unschedule / schedules on both
// stores, bad input, and daylight-saving transitions with a fixed clock:
// a daily job runs once per local day, never twice and never not at all,
// whatever moment the next run is computed from (a redeploy, a late run).
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { Pool } from '../dist/index.js';
import { JobQueue, work } from '../dist/queue/index.js';
import { loadCron, nextRun } from '../dist/queue/schedule.js';
import { startRedis, until } from './helpers/redis.js';
import { fixture, rejectsCode, within } from './helpers.js';

const tasks = fixture('queue/tasks.js');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const iso = (ms) => new Date(ms).toISOString();

/** The local date of `ms` in `tz`, e.g. '2025-10-26'. */
function localDate(ms, tz) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    ms,
  );
}

/**
 * Every run nextRun() gives when asked every `step` ms of [from, to]: the
 * runs a schedule can ever make in that span, however late it was asked.
 */
function runsAskedEvery(cp, cron, tz, from, to, step = 20 * MINUTE) {
  const runs = new Set();
  for (let t = from; t <= to; t += step) {
    const next = nextRun(cp, cron, tz, t);
    if (next !== null && next <= to) runs.add(next);
  }
  return [...runs].sort((a, b) => a - b);
}

test('DST, fixed clock: a daily job runs once per local day across both transitions, whenever asked', async () => {
  const cp = await loadCron();
  const cases = [
    // Europe/Berlin: clocks go back 2025-10-26 03:00 CEST -> 02:00 CET (02:30 happens twice)
    ['30 2 * * *', 'Europe/Berlin', '2025-10-25T12:00:00Z', '2025-10-27T12:00:00Z'],
    // ... and forward 2025-03-30 02:00 CET -> 03:00 CEST (02:30 does not happen)
    ['30 2 * * *', 'Europe/Berlin', '2025-03-29T12:00:00Z', '2025-03-31T12:00:00Z'],
    ['0 2 * * *', 'Europe/Berlin', '2025-03-29T12:00:00Z', '2025-03-31T12:00:00Z'],
    ['15 1 * * *', 'America/New_York', '2025-11-01T12:00:00Z', '2025-11-03T12:00:00Z'],
    ['30 2 * * *', 'America/New_York', '2025-03-08T12:00:00Z', '2025-03-10T12:00:00Z'],
    ['30 2 * * *', 'Australia/Sydney', '2025-04-04T12:00:00Z', '2025-04-06T12:00:00Z'],
    ['0 30 2 * * *', 'Europe/Berlin', '2025-10-25T12:00:00Z', '2025-10-27T12:00:00Z'],
  ];
  for (const [cron, tz, from, to] of cases) {
    const runs = runsAskedEvery(cp, cron, tz, Date.parse(from), Date.parse(to));
    const days = runs.map((r) => localDate(r, tz));
    assert.equal(new Set(days).size, days.length, `${cron} ${tz}: a day ran twice: ${runs.map(iso)}`);
    // consecutive local days: none skipped
    for (let i = 1; i < days.length; i++) {
      const gap = (Date.parse(days[i]) - Date.parse(days[i - 1])) / (24 * HOUR);
      assert.equal(gap, 1, `${cron} ${tz}: a day was skipped: ${runs.map(iso)}`);
    }
    assert.equal(days.length, 2, `${cron} ${tz}: one run on each of the two days: ${runs.map(iso)}`);
  }
  // the shifted and the repeated time: when exactly
  const berlin = (from) => iso(nextRun(cp, '30 2 * * *', 'Europe/Berlin', Date.parse(from)));
  assert.equal(berlin('2025-03-30T01:10:00Z'), '2025-03-30T01:30:00.000Z'); // 03:10 CEST: the 02:30 run is still due, at 03:30
  assert.equal(berlin('2025-10-26T01:10:00Z'), '2025-10-27T01:30:00.000Z'); // 02:10 CET, after 02:30 CEST ran: not again
  assert.equal(berlin('2025-10-26T00:10:00Z'), '2025-10-26T00:30:00.000Z'); // 02:10 CEST: the first 02:30
  // a pattern over all hours runs in real time: both 02:30s of the night clocks go back
  const hourly = runsAskedEvery(
    cp,
    '30 * * * *',
    'Europe/Berlin',
    Date.parse('2025-10-25T23:00:00Z'),
    Date.parse('2025-10-26T03:00:00Z'),
  );
  assert.deepEqual(hourly.map(iso), [
    '2025-10-25T23:30:00.000Z',
    '2025-10-26T00:30:00.000Z',
    '2025-10-26T01:30:00.000Z',
    '2025-10-26T02:30:00.000Z',
  ]);
});

test('DST, fixed clock, memory store: a daily schedule runs once each local day through both transitions and a redeploy', {
  timeout: 60_000,
}, async (t) => {
  const pool = new Pool({ worker: tasks, maxWorkers: 1 });
  await pool.taskNames();
  const queue = new JobQueue({ name: 'dst', pool });
  const realTimeout = globalThis.setTimeout;
  const guard = (p, what) =>
    Promise.race([p, new Promise((_, reject) => realTimeout(() => reject(new Error(`${what}: no answer`)), 10_000))]);
  mock.timers.enable({ apis: ['Date', 'setTimeout'], now: Date.parse('2025-10-24T12:00:00Z') });
  t.after(async () => {
    mock.timers.reset();
    await queue.destroy();
    await pool.destroy();
  });
  const done = new Set();
  queue.on('completed', ({ jobId }) => done.add(jobId));
  const tz = 'Europe/Berlin';
  await queue.schedule('daily', 'tick', [], { cron: '30 2 * * *', tz });
  const runs = [];
  /** Moves the clock to the next run and waits for it, and for the run after it to be scheduled. */
  async function runNext() {
    const [s] = await queue.schedules();
    mock.timers.tick(s.next - Date.now());
    const id = `repeat:daily:${s.next}`;
    await guard(
      until(queue, 'completed', () => done.has(id), 10_000, id),
      id,
    );
    runs.push(s.next);
    for (let i = 0; i < 100 && (await queue.schedules())[0].next === s.next; i++) await Promise.resolve();
  }
  for (let i = 0; i < 2; i++) await runNext(); // 10-25, then 10-26 at the first 02:30 (CEST)
  // a redeploy in the repeated hour, after that run: plain cron-parser would run it again at 02:30 CET
  mock.timers.setTime(Date.parse('2025-10-26T01:10:00Z'));
  await queue.schedule('daily', 'tick', ['redeployed'], { cron: '30 2 * * *', tz });
  assert.equal(iso((await queue.schedules())[0].next), '2025-10-27T01:30:00.000Z');
  await runNext();
  // the spring transition, with a redeploy just after the jump: plain cron-parser would skip the day
  mock.timers.setTime(Date.parse('2026-03-29T01:10:00Z'));
  await queue.schedule('daily', 'tick', ['spring'], { cron: '30 2 * * *', tz });
  assert.equal(iso((await queue.schedules())[0].next), '2026-03-29T01:30:00.000Z', 'the shifted run is still due');
  for (let i = 0; i < 2; i++) await runNext();
  assert.deepEqual(runs.map(iso), [
    '2025-10-25T00:30:00.000Z',
    '2025-10-26T00:30:00.000Z',
    '2025-10-27T01:30:00.000Z',
    '2026-03-29T01:30:00.000Z',
    '2026-03-30T00:30:00.000Z',
  ]);
  // a redeploy inside the repeated hour, after its first 02:30 ran
  mock.timers.setTime(Date.parse('2026-10-25T01:10:00Z'));
  await queue.schedule('daily', 'tick', ['again'], { cron: '30 2 * * *', tz });
  assert.equal(iso((await queue.schedules())[0].next), '2026-10-26T01:30:00.000Z');
});

test('DST, fixed clock, Redis: a redeploy (schedule() again) inside a transition neither doubles nor skips the day', {
  timeout: 60_000,
}, async (t) => {
  const redis = await startRedis(t);
  const queue = new JobQueue({ name: 'dst', store: { redis: redis.url } });
  redis.cleanup(() => queue.destroy());
  await queue.ready();
  await queue.counts(); // connected before the clock is fixed
  const tz = 'Europe/Berlin';
  const at = async (now, args) => {
    mock.timers.enable({ apis: ['Date'], now: Date.parse(now) });
    try {
      return await within(queue.schedule('daily', 'tick', args, { cron: '30 2 * * *', tz }), 10_000, 'schedule');
    } finally {
      mock.timers.reset();
    }
  };
  assert.equal(iso((await at('2025-10-26T01:10:00Z', [1])).next), '2025-10-27T01:30:00.000Z');
  assert.equal(iso((await at('2025-03-30T01:10:00Z', [2])).next), '2025-03-30T01:30:00.000Z');
  assert.equal((await queue.schedules()).length, 1);
  assert.equal(await queue.unschedule('daily'), true);
});

for (const store of ['memory', 'redis']) {
  test(`${store}: schedule() every and cron runs jobs; the same call again changes nothing; unschedule() stops it`, {
    timeout: 60_000,
  }, async (t) => {
    let queue;
    let runner;
    if (store === 'memory') {
      const pool = new Pool({ worker: tasks, maxWorkers: 1 });
      queue = runner = new JobQueue({ name: 's', pool });
      t.after(async () => {
        await queue.destroy();
        await pool.destroy();
      });
    } else {
      const redis = await startRedis(t);
      const node = await work({ tasks, queue: 's', redis: redis.url, workers: 1 });
      redis.cleanup(() => node.destroy());
      runner = node.queue;
      queue = new JobQueue({ name: 's', store: { redis: redis.url } });
      redis.cleanup(() => queue.destroy());
    }
    const runs = new Map();
    runner.on('completed', ({ jobId }) => {
      const key = jobId.split(':')[1];
      runs.set(key, (runs.get(key) ?? 0) + 1);
    });
    const every = await queue.schedule('fast', 'tick', [], { every: '250ms', attempts: 2 });
    assert.deepEqual([every.key, every.name, every.every, every.cron], ['fast', 'tick', 250, null]);
    const cron = await queue.schedule('sec', 'tick', [], { cron: '* * * * * *' });
    assert.deepEqual([cron.cron, cron.tz], ['* * * * * *', 'UTC']);
    assert.equal(cron.next % 1000, 0);
    // the same call again (every node does it at start-up): same schedule, same next run
    const same = await queue.schedule('sec', 'tick', [], { cron: '* * * * * *' });
    assert.equal(same.next, cron.next);
    await until(runner, 'completed', () => (runs.get('fast') ?? 0) >= 3 && (runs.get('sec') ?? 0) >= 2, 20_000, 'runs');
    const listed = await queue.schedules();
    assert.deepEqual(listed.map((s) => s.key).sort(), ['fast', 'sec']);
    for (const s of listed) assert.ok(s.next > 0);
    assert.equal(await queue.unschedule('fast'), true);
    assert.equal(await queue.unschedule('fast'), false);
    assert.equal(await queue.unschedule('sec'), true);
    assert.deepEqual(await queue.schedules(), []);
    // its pending run went with it
    assert.equal((await queue.counts()).delayed, 0);
  });
}

test('bad schedules are refused naming the option: invalid cron, unknown zone, both or neither of cron and every', async (t) => {
  const pool = new Pool({ worker: tasks, maxWorkers: 1 });
  const queue = new JobQueue({ name: 'b', pool });
  t.after(async () => {
    await queue.destroy();
    await pool.destroy();
  });
  for (const [key, options, option] of [
    ['k', { cron: '61 * * * *' }, 'options.cron'],
    ['k', { cron: '* * * *' }, 'options.cron'],
    ['k', { cron: '* * * * * * *' }, 'options.cron'],
    ['k', { cron: '' }, 'options.cron'],
    ['k', { cron: 5 }, 'options.cron'],
    ['k', { cron: '0 0 30 2 *' }, 'options.cron'],
    ['k', { cron: '0 * * * *', tz: 'Mars/Olympus' }, 'options.tz'],
    ['k', { cron: '0 * * * *', every: '1m' }, 'options.cron'],
    ['k', {}, 'options.cron'],
    ['k', { every: '1m', tz: 'UTC' }, 'options.tz'],
    ['k', { every: -1 }, 'options.every'],
    ['k', { every: '1m', delay: 5 }, 'delay'],
    ['k', { every: '1m', group: 'g' }, 'group'],
    ['k', { every: '1m', attempts: 0 }, 'options.attempts'],
    ['a:b', { every: '1m' }, 'key'],
    ['', { every: '1m' }, 'key'],
  ]) {
    const err = await rejectsCode(queue.schedule(key, 'tick', [], options), 'ERR_INVALID_OPTION');
    assert.equal(err.option, option, JSON.stringify(options));
  }
  await rejectsCode(queue.schedule('k', 'nope', [], { every: '1m' }), 'ERR_TASK_NOT_FOUND');
  assert.deepEqual(await queue.schedules(), []);
});
