// spindle's metrics of one process: the pool's `name`, its counters by
// outcome and histograms (promtool-valid text), a job queue's retries and
// job states, registration in a prom-client registry, and nothing of the
// optional peers loaded when nobody uses them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import client from 'prom-client';
import { Pool } from '../dist/index.js';
import { DURATION_BUCKETS, metricsJSON, metricsText, registerMetrics } from '../dist/observe/index.js';
import { JobQueue } from '../dist/queue/index.js';
import { fixture, rejectsCode, runNode, within } from './helpers.js';

const tasks = fixture('observe/tasks.js');
const queueTasks = fixture('queue/tasks.js');

function promtool(text) {
  return spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
}

function sample(text, line) {
  const m = new RegExp(`^${line.replace(/[{}()[\]+.?*^$|\\]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

test('a pool is named after its module unless `name` says otherwise; a bad name is refused', async (t) => {
  const a = new Pool({ worker: tasks });
  const b = new Pool({ worker: tasks, name: 'images' });
  const c = new Pool();
  t.after(() => Promise.all([a.destroy(), b.destroy(), c.destroy()]));
  assert.equal(a.options.name, 'tasks');
  assert.equal(b.options.name, 'images');
  assert.equal(c.options.name, 'inline');
  for (const name of ['', 7, 'a\nb', 'x'.repeat(129)])
    assert.throws(() => new Pool({ worker: tasks, name }), { code: 'ERR_INVALID_OPTION', option: 'name' });
});

test('pool metrics: tasks by outcome, queue size, workers, wait and run histograms (promtool accepts them)', async (t) => {
  const pool = new Pool({ worker: tasks, name: 'units', maxWorkers: 1 });
  t.after(() => pool.destroy());
  await pool.run('count', [1]);
  await pool.run('count', [2]);
  await pool.run('fail').catch(() => {});
  await pool.run('fail').catch(() => {});
  await rejectsCode(pool.run('sleep', [1000], { signal: AbortSignal.timeout(1) }), 'ERR_TASK_ABORTED');
  await rejectsCode(pool.run('sleep', [1000], { timeout: 10 }), 'ERR_TASK_TIMEOUT');
  const text = await metricsText(pool);
  const r = promtool(text);
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}\n${text}`);
  const n = (outcome) => sample(text, `spindle_pool_tasks_total{pool="units",outcome="${outcome}"}`);
  assert.equal(n('completed'), 2);
  assert.equal(n('failed'), 2);
  assert.equal(n('aborted'), 1);
  assert.equal(n('timed_out'), 1);
  assert.equal(n('crashed'), 0);
  assert.equal(sample(text, 'spindle_pool_queue_size{pool="units"}'), 0);
  assert.equal(
    sample(text, 'spindle_pool_workers{pool="units",state="busy"}') +
      sample(text, 'spindle_pool_workers{pool="units",state="idle"}'),
    1,
  );
  // tasks that ran on the worker: 2 completed + 2 failed (an abort before start and a timeout report no run time)
  const count = sample(text, 'spindle_pool_task_run_seconds_count{pool="units"}');
  assert.ok(count >= 4, `run count ${count}`);
  assert.equal(sample(text, 'spindle_pool_task_run_seconds_bucket{pool="units",le="+Inf"}'), count);
  // buckets are cumulative and documented: 100 µs … 60 s
  let last = 0;
  for (const le of DURATION_BUCKETS) {
    const v = sample(text, `spindle_pool_task_run_seconds_bucket{pool="units",le="${le}"}`);
    assert.ok(v >= last, `bucket ${le}`);
    last = v;
  }
  assert.equal(DURATION_BUCKETS[0], 0.0001);
  assert.equal(DURATION_BUCKETS.at(-1), 60);
});

test('pools of one name in one process add up; a closed pool leaves the registry', async () => {
  const a = new Pool({ worker: tasks, name: 'twin', maxWorkers: 1 });
  const b = new Pool({ worker: tasks, name: 'twin', maxWorkers: 1 });
  await Promise.all([a.run('count', [1]), b.run('count', [1]), b.run('count', [2])]);
  const text = await metricsText(a);
  assert.equal(sample(text, 'spindle_pool_tasks_total{pool="twin",outcome="completed"}'), 3);
  await a.close();
  await b.close();
  const after = await metricsJSON();
  assert.equal(
    after.some((f) => f.values.some((s) => s.labels.pool === 'twin')),
    false,
  );
});

test('queue metrics: jobs by state, retries, wait and run histograms', async (t) => {
  const pool = new Pool({ worker: queueTasks, maxWorkers: 1 });
  const queue = new JobQueue({ name: 'units-q', pool });
  t.after(async () => {
    await queue.destroy();
    await pool.destroy();
  });
  const dir = mkdtempSync(join(tmpdir(), 'spindle-q-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const job = await queue.add('flaky', [join(dir, 'count'), 3], { attempts: 3 });
  assert.equal(await within(job.result(), 20_000, 'flaky job'), 3);
  const text = await metricsText(queue);
  assert.equal(promtool(text).status, 0, text);
  assert.equal(sample(text, 'spindle_queue_job_retries_total{queue="units-q"}'), 2);
  assert.equal(sample(text, 'spindle_queue_job_run_seconds_count{queue="units-q"}'), 3);
  assert.equal(sample(text, 'spindle_queue_job_wait_seconds_count{queue="units-q"}'), 3);
  assert.equal(sample(text, 'spindle_queue_jobs{queue="units-q",state="active"}'), 0);
  assert.equal(sample(text, 'spindle_queue_jobs{queue="units-q",state="waiting"}'), 0);
});

test('registerMetrics puts the pool and queue families in a prom-client registry', async (t) => {
  const pool = new Pool({ worker: tasks, name: 'reg', maxWorkers: 1 });
  t.after(() => pool.destroy());
  await pool.run('count', [1]);
  const registry = new client.Registry();
  new client.Counter({ name: 'own_total', help: 'The app’s own.', registers: [registry] }).inc();
  const remove = registerMetrics(registry);
  const text = await registry.metrics();
  assert.equal(sample(text, 'spindle_pool_tasks_total{pool="reg",outcome="completed"}'), 1);
  assert.equal(sample(text, 'own_total'), 1);
  const r = promtool(text);
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}\n${text}`);
  remove();
  assert.doesNotMatch(await registry.metrics(), /spindle_pool/);
});

test('without anyone using them, neither @opentelemetry/api nor prom-client is loaded', async () => {
  const code = `
    import { createRequire } from 'node:module';
    const { Pool } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
    const { JobQueue } = await import(${JSON.stringify(new URL('../dist/queue/index.js', import.meta.url).href)});
    const pool = new Pool({ worker: ${JSON.stringify(fileURLToPath(tasks))}, maxWorkers: 1 });
    const queue = new JobQueue({ name: 'q', pool });
    await pool.run('count', [1]);
    await (await queue.add('count', [2])).result();
    await queue.close();
    await pool.close();
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify(loaded.filter((p) => /opentelemetry|prom-client/.test(p))));
  `;
  const r = await runNode(['--input-type=module', '-e', code]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), []);
});
