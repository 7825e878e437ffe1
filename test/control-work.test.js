// `spindle work` under a name (issue 12): status, ls, logs, scale, reload and
// stop through its control socket, with a real redis-server, real processes
// and real sockets. Every job appends its index to a file, so "no job lost or
// run twice" is checked by counting lines, whatever runs it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Pool } from '../dist/index.js';
import { JobQueue } from '../dist/queue/index.js';
import { cli, poll, tempDir } from './helpers/cli.js';
import { home, spindle } from './helpers/control.js';
import { startRedis, until } from './helpers/redis.js';

const T = { timeout: 120_000 };

/** A task module inside the package (it imports spindle/worker); `write(v)` ships version v (null: broken). */
function tasksModule() {
  const dir = tempDir('work-');
  const file = join(dir, 'tasks.mjs');
  const log = join(dir, 'runs.log');
  const write = (version) =>
    writeFileSync(
      file,
      `import { appendFileSync } from 'node:fs';
import { progress, taskSignal } from 'spindle/worker';
${version === null ? 'throw new Error("broken build: missing config");' : ''}
/** Appends i to the log, waits ms, returns this version. */
export async function mark(log, i, ms) {
  appendFileSync(log, i + '\\n');
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ${JSON.stringify(version)};
}
/** Runs until aborted, after telling it started (progress). */
export async function hold(id) {
  progress({ id });
  const signal = taskSignal();
  await new Promise((resolve) => signal.addEventListener('abort', resolve));
  return 'aborted';
}
/** Writes a line of text and a line of JSON to stdout, one to stderr. */
export function speak(word) {
  console.log('said ' + word);
  console.log(JSON.stringify({ level: 30, msg: word }));
  console.error('warned ' + word);
  return word;
}
export function fail(message) {
  throw new Error(message);
}
`,
    );
  write('v1');
  return { file, log, write };
}

/** Starts `spindle work` with its own SPINDLE_HOME and waits until it works. */
async function startWork(t, dir, redis, file, args) {
  const p = cli(t, ['work', file, ...args], {
    env: { SPINDLE_HOME: dir, SPINDLE_REDIS_URL: redis.url, NO_COLOR: '1' },
  });
  await p.waitFor(/working on queue/, 40_000);
  return p;
}

/** Every index 0..n-1 ran exactly once. */
function ranOnce(log, n) {
  const counts = new Map();
  for (const i of readFileSync(log, 'utf8').trim().split('\n').map(Number)) counts.set(i, (counts.get(i) ?? 0) + 1);
  assert.deepEqual(
    [...counts].filter(([, c]) => c !== 1),
    [],
    'jobs that ran more than once',
  );
  assert.equal(counts.size, n, `${counts.size} of ${n} jobs ran`);
}

test('spindle work --name: status, ls, logs, scale, a second start refused, stop', T, async (t) => {
  const redis = await startRedis(t);
  const dir = home(t);
  const m = tasksModule();
  const node = await startWork(t, dir, redis, m.file, ['--queue', 'mail.v2', '--workers', '2']);
  const queue = new JobQueue({ name: 'mail.v2', store: { redis: redis.url } });
  redis.cleanup(() => queue.close());
  const started = new Set();
  queue.on('progress', ({ progress }) => started.add(progress.id));

  // the name defaults to the queue's
  const refused = await spindle(t, dir, ['work', m.file, '--queue', 'mail.v2'], {
    env: { SPINDLE_REDIS_URL: redis.url },
  });
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /mail\.v2/);
  assert.match(refused.stderr, /running/);

  const results = [];
  for (const w of ['a', 'b', 'c']) results.push(await (await queue.add('speak', [w])).result());
  assert.deepEqual(results, ['a', 'b', 'c']);
  const failed = await queue.add('fail', ['on purpose']);
  await assert.rejects(failed.result(), (e) => e.code === 'ERR_QUEUE_JOB_FAILED');
  const held = await queue.add('hold', ['h1']);
  await until(queue, 'progress', () => started.has('h1'), 20_000, 'the held job to start');

  const s = await spindle(t, dir, ['status', 'mail.v2', '--json']);
  assert.equal(s.code, 0, s.stderr);
  const st = s.json;
  assert.equal(st.name, 'mail.v2');
  assert.equal(st.kind, 'work');
  assert.equal(st.pid, node.child.pid);
  assert.equal(st.state, 'running');
  assert.equal(st.queue, 'mail.v2');
  assert.equal(st.runtime, 'thread');
  assert.equal(st.tasks, m.file);
  assert.equal(st.ready, 2);
  assert.equal(st.wanted, 2);
  assert.equal(st.restarts, 0);
  assert.ok(st.uptime >= 0 && st.startedAt <= Date.now());
  assert.ok(st.process.rss > 0 && st.process.heapUsed > 0 && st.process.cpuSeconds > 0);
  assert.deepEqual(st.jobs, { active: 1, completed: 3, failed: 1 });
  assert.deepEqual(
    st.workers.map((w) => w.id),
    [1, 2],
  );
  const busy = st.workers.filter((w) => w.job !== null);
  assert.equal(busy.length, 1);
  assert.equal(busy[0].job.name, 'hold');
  assert.equal(busy[0].job.id, held.id, 'the job it runs, by id');
  assert.equal(busy[0].state, 'busy');
  assert.ok(busy[0].job.since <= Date.now());
  assert.equal(
    st.workers.reduce((n, w) => n + w.tasks, 0),
    4,
  );
  assert.deepEqual(st.reloads, { ok: 0, failed: 0 });

  const human = await spindle(t, dir, ['status', 'mail.v2']);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /^mail\.v2 \(work\): running, pid \d+/);
  assert.match(human.stdout, /jobs: 1 active, 3 completed, 1 failed/);
  assert.ok(human.stdout.includes(`hold #${held.id} (`), human.stdout);
  for (const line of human.stdout.split('\n')) assert.ok(line.length <= 80, `wider than 80: ${line}`);

  const ls = await spindle(t, dir, ['ls', '--json']);
  assert.equal(ls.code, 0);
  const entry = ls.json.supervisors.find((x) => x.name === 'mail.v2');
  assert.equal(entry.kind, 'work');
  assert.equal(entry.ready, 2);
  const lsHuman = await spindle(t, dir, ['ls']);
  assert.match(lsHuman.stdout, /mail\.v2\s+work/);

  // logs: the process's own output (its threads' console included) and its own lines
  const logs = await spindle(t, dir, ['logs', 'mail.v2', '-n', '100', '--json']);
  assert.equal(logs.code, 0, logs.stderr);
  const records = logs.stdout.trim().split('\n').map(JSON.parse);
  assert.ok(records.some((r) => r.stream === 'stdout' && r.message === 'said a'));
  assert.ok(
    records.some((r) => r.stream === 'stdout' && r.json?.msg === 'b'),
    'a JSON line is embedded',
  );
  assert.ok(records.some((r) => r.stream === 'stderr' && r.message === 'warned c'));
  assert.ok(records.some((r) => r.stream === 'spindle' && /working on queue 'mail\.v2'/.test(r.message)));
  assert.ok(records.every((r) => r.pid === node.child.pid && r.worker === null));
  // and the output still reaches the terminal, unchanged
  assert.match(node.out.stdout, /^said a$/m);
  assert.match(node.out.stderr, /^warned c$/m);

  // logs -f sees a line written after it started
  const follow = cli(t, ['logs', 'mail.v2', '-n', '0', '-f'], { env: { SPINDLE_HOME: dir, NO_COLOR: '1' } });
  await follow.waitFor(/./, 10_000).catch(() => {}); // nothing printed yet, maybe
  await (await queue.add('speak', ['later'])).result();
  await follow.waitFor(/said later/, 20_000);
  follow.child.kill('SIGINT');

  // scale up, then down while the held job runs: it keeps running
  const up = await spindle(t, dir, ['scale', 'mail.v2', '4', '--json']);
  assert.equal(up.code, 0, up.stderr);
  assert.deepEqual(up.json, { workers: 4, previous: 2, started: [3, 4], stopped: [] });
  // the jobs it takes at once follow the pool: 3 more run beside the held one
  for (let i = 0; i < 4; i++) await queue.add('mark', [m.log, i, 1500]);
  await poll(
    () => existsSync(m.log) && readFileSync(m.log, 'utf8').split('\n').length > 3,
    'three jobs to start',
    20_000,
  );
  const four = (await spindle(t, dir, ['status', 'mail.v2', '--json'])).json;
  assert.equal(four.workers.length, 4);
  assert.equal(four.wanted, 4);
  assert.equal(four.workers.filter((w) => w.job !== null).length, 4, JSON.stringify(four.workers));
  const down = await spindle(t, dir, ['scale', 'mail.v2', '-2']);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stdout, /^mail\.v2: 2 workers \(was 4; stopped \d, \d\)$/m);
  const two = (await spindle(t, dir, ['status', 'mail.v2', '--json'])).json;
  assert.equal(two.workers.length, 2);
  assert.ok(
    two.workers.some((w) => w.job?.name === 'hold'),
    'the held job still runs',
  );
  const tooFew = await spindle(t, dir, ['scale', 'mail.v2', '-5']);
  assert.equal(tooFew.code, 2, 'out of range: a usage error');
  assert.match(tooFew.stderr, /workers\.by/);

  // stop: graceful; the held job gets the grace, then goes back to the queue
  const socket = join(dir, 'mail.v2.sock');
  assert.ok(existsSync(socket));
  const stop = await spindle(t, dir, ['stop', 'mail.v2', '--grace', '200ms', '--json']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(stop.json.exitCode, 0);
  assert.equal(stop.json.clean, false, 'the held job had to be handed back');
  const { code } = await node.exit(20_000);
  assert.equal(code, 0, node.out.stderr);
  assert.ok(!existsSync(socket), 'socket removed');
  assert.match(node.out.stderr, /stop requested through the control socket/);
  void held;
});

test(
  'spindle reload NAME of a work node under a stream of jobs: no job lost or run twice; a broken version is refused',
  T,
  async (t) => {
    const redis = await startRedis(t);
    const dir = home(t);
    const m = tasksModule();
    const node = await startWork(t, dir, redis, m.file, ['-q', 'stream', '--name', 'w1', '-w', '2']);
    const queue = new JobQueue({ name: 'stream', store: { redis: redis.url } });
    redis.cleanup(() => queue.close());
    let completed = 0;
    queue.on('completed', () => completed++);
    // A producer keeps about 12 jobs waiting from before the reload until 20
    // jobs after it returned: the reload always happens mid-stream.
    const jobs = [];
    let stopAt = Number.POSITIVE_INFINITY;
    const producer = (async () => {
      while (jobs.length < stopAt) {
        if (jobs.length - completed >= 12)
          await until(queue, 'completed', () => jobs.length - completed < 12, 30_000, 'room');
        jobs.push(await queue.add('mark', [m.log, jobs.length, 20]));
      }
    })();
    await until(queue, 'completed', () => completed >= 10, 30_000, 'the first 10 jobs');

    m.write('v2');
    const reload = await spindle(t, dir, ['reload', 'w1']);
    assert.equal(reload.code, 0, reload.stderr);
    assert.match(reload.stdout, /^w1: reloaded 2 workers \(ids 3, 4\)$/m);
    stopAt = jobs.length + 20;
    await producer;
    const n = jobs.length;
    const results = await Promise.all(jobs.map((j) => j.result()));
    ranOnce(m.log, n);
    assert.ok(results.includes('v1') && results.includes('v2'), 'jobs ran on both versions');
    const st = (await spindle(t, dir, ['status', 'w1', '--json'])).json;
    assert.deepEqual(st.reloads, { ok: 1, failed: 0 });
    assert.equal(st.restarts, 2);
    assert.deepEqual(
      st.workers.map((w) => w.id),
      [3, 4],
    );

    m.write(null);
    const bad = await spindle(t, dir, ['reload', 'w1']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Reload refused: .*broken build: missing config/);
    const badJson = await spindle(t, dir, ['reload', 'w1', '--json']);
    assert.equal(badJson.json.error.code, 'ERR_POOL_RELOAD_FAILED');
    // the v2 workers keep running jobs
    assert.equal(await (await queue.add('mark', [m.log, n, 1])).result(), 'v2');
    const after = (await spindle(t, dir, ['status', 'w1', '--json'])).json;
    assert.deepEqual(after.reloads, { ok: 1, failed: 2 });
    assert.deepEqual(
      after.workers.map((w) => w.id),
      [3, 4],
    );
    node.child.kill('SIGTERM');
    assert.equal((await node.exit(20_000)).code, 0);
  },
);

test(
  'spindle work --log-format json: every line a record, a JSON line embedded; --log-time puts a time in front',
  T,
  async (t) => {
    const redis = await startRedis(t);
    const m = tasksModule();
    const json = await startWork(t, home(t), redis, m.file, ['-q', 'fmt', '--log-format', 'json', '-w', '1']);
    const queue = new JobQueue({ name: 'fmt', store: { redis: redis.url } });
    redis.cleanup(() => queue.close());
    await (await queue.add('speak', ['x'])).result();
    await json.waitFor(/warned x/, 10_000);
    json.child.kill('SIGTERM');
    await json.exit(20_000);
    const out = json.out.stdout.trim().split('\n').map(JSON.parse);
    const err = json.out.stderr.trim().split('\n').map(JSON.parse);
    assert.ok(out.some((r) => r.stream === 'stdout' && r.message === 'said x' && typeof r.time === 'string'));
    assert.ok(
      out.some((r) => r.json?.level === 30 && r.json.msg === 'x'),
      'embedded, not escaped',
    );
    assert.ok(err.some((r) => r.stream === 'stderr' && r.message === 'warned x'));
    assert.ok(err.some((r) => r.stream === 'spindle' && /working on queue/.test(r.message)));

    const timed = await startWork(t, home(t), redis, m.file, ['-q', 'fmt', '--log-time', '-w', '1']);
    await (await queue.add('speak', ['y'])).result();
    await timed.waitFor(/warned y/, 10_000);
    timed.child.kill('SIGTERM');
    await timed.exit(20_000);
    assert.match(timed.out.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z said y$/m);
    assert.match(timed.out.stderr, /^\d{4}-\d\d-\d\dT[\d:.]+Z \[spindle\] working on queue 'fmt'/m);
  },
);

test('a JobQueue without its own concurrency follows its pool when the pool is scaled (memory store)', T, async (t) => {
  const m = tasksModule();
  const pool = new Pool({ worker: m.file, minWorkers: 1, maxWorkers: 1 });
  const queue = new JobQueue({ name: 'follow', pool });
  t.after(async () => {
    await queue.destroy();
    await pool.destroy();
  });
  const started = new Set();
  queue.on('progress', ({ progress }) => started.add(progress.id));
  await pool.scale(3);
  const held = [];
  for (const id of ['a', 'b', 'c']) held.push(await queue.add('hold', [id]));
  await until(queue, 'progress', () => started.size === 3, 20_000, 'three jobs running at once');
  assert.equal(pool.workers.filter((w) => w.state === 'busy').length, 3);
});
