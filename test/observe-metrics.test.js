// /metrics of `spindle start --admin` with real components: promtool accepts
// it (with and without prom-client's default metrics), a real Prometheus
// server scrapes it and answers the app's counter summed over workers and a
// per-worker RSS series, and no counter goes backwards when a worker is
// killed and restarted.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli, root } from './helpers/cli.js';
import { freePort } from './helpers/load.js';

const TOKEN = 'metrics-token-0123456789abcdef';
const app = join(root, 'test', 'fixtures', 'observe', 'app.mjs');

function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url} within 10 s`)));
    req.on('error', reject);
  });
}

async function scrape(port) {
  const r = await get(`http://127.0.0.1:${port}/metrics`, { authorization: `Bearer ${TOKEN}` });
  assert.equal(r.status, 200, r.body);
  return r.body;
}

/** Every sample of a text exposition: 'name{labels}' → value, and each family's type. */
function parse(text) {
  const samples = new Map();
  const types = new Map();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) types.set(t[1], t[2]);
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    samples.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return { samples, types };
}

function promtool(text) {
  return spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
}

async function startApp(t, { defaults = false } = {}) {
  const port = await freePort();
  const run = cli(t, ['start', app, '--workers', '2', '--admin', `127.0.0.1:${port}`], {
    env: { SPINDLE_ADMIN_TOKEN: TOKEN, COLLECT_DEFAULTS: defaults ? '1' : '0' },
  });
  await run.waitFor(/running as pid/, 60_000);
  // each worker reports its stats about once a second after it starts
  let text = '';
  const both = () => [1, 2].every((w) => text.includes(`spindle_worker_resident_memory_bytes{worker="${w}"}`));
  for (let i = 0; i < 200 && !both(); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    text = await scrape(port);
  }
  return { run, port };
}

for (const defaults of [false, true]) {
  test(`promtool check metrics accepts /metrics${defaults ? ' with collectDefaultMetrics()' : ''}`, async (t) => {
    const { run, port } = await startApp(t, { defaults });
    const text = await scrape(port);
    const r = promtool(text);
    if (defaults) {
      // prom-client 15's own default metrics include three gauges named *_total, which promtool's
      // linter flags (exit code 3, lint only; a parse error is exit code 1): spindle passes the
      // app's metrics through unchanged, so those three lines, and only those, are allowed.
      const problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
      const theirs =
        /^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/;
      assert.ok(r.status === 0 || r.status === 3, `promtool exit ${r.status}: ${problems.join('\n')}`);
      for (const line of problems) assert.match(line, theirs, `promtool: ${line}`);
    } else {
      assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}\n${text}`);
    }
    const { samples } = parse(text);
    // the app's counter, summed over the two workers by prom-client's own aggregation
    assert.equal(samples.get('app_jobs_total{kind="start"}'), 10);
    // spindle's own families: supervisor, per worker, pools of the workers
    assert.equal(samples.get('spindle_cluster_workers{state="ready"}'), 2);
    for (const w of [1, 2]) {
      assert.ok(samples.get(`spindle_worker_resident_memory_bytes{worker="${w}"}`) > 0);
      assert.equal(samples.get(`spindle_pool_tasks_total{pool="app-pool",outcome="completed",worker="${w}"}`), 3);
      assert.equal(samples.get(`spindle_pool_task_run_seconds_count{pool="app-pool",worker="${w}"}`), 3);
    }
    if (defaults) assert.ok(samples.get('process_resident_memory_bytes') > 0);
    // one family per name
    const names = text.match(/^# TYPE (\S+)/gm);
    assert.equal(new Set(names).size, names.length);
    run.child.kill('SIGTERM');
    assert.equal((await run.exit()).code, 0);
  });
}

test('no counter in the aggregate goes backwards when a worker is killed and restarted', async (t) => {
  const { run, port } = await startApp(t);
  const before = parse(await scrape(port));
  const status = JSON.parse((await get(`http://127.0.0.1:${port}/status`, { authorization: `Bearer ${TOKEN}` })).body);
  const victim = status.workers.find((w) => w.id === 2).pid;
  process.kill(victim, 'SIGKILL');
  let after;
  for (let i = 0; i < 300; i++) {
    const s = JSON.parse((await get(`http://127.0.0.1:${port}/status`, { authorization: `Bearer ${TOKEN}` })).body);
    const w2 = s.workers.find((w) => w.id === 2);
    if (w2.state === 'ready' && w2.pid !== victim && w2.stats) {
      after = parse(await scrape(port));
      if (after.samples.get('app_jobs_total{kind="start"}') === 15) break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(after, 'worker 2 came back');
  // the killed worker's 5 stay counted, and its replacement added 5
  assert.equal(after.samples.get('app_jobs_total{kind="start"}'), 15);
  assert.equal(after.samples.get('spindle_pool_tasks_total{pool="app-pool",outcome="completed",worker="2"}'), 6);
  let compared = 0;
  for (const [key, value] of before.samples) {
    const name = key.replace(/\{.*$/, '');
    const family = name.replace(/_(bucket|sum|count)$/, '');
    const type = before.types.get(name) ?? before.types.get(family);
    if (type !== 'counter' && type !== 'histogram') continue;
    if (!after.samples.has(key)) continue;
    compared++;
    assert.ok(after.samples.get(key) >= value, `${key} went from ${value} to ${after.samples.get(key)}`);
  }
  assert.ok(compared > 20, `compared ${compared} counter samples`);
  run.child.kill('SIGTERM');
  assert.equal((await run.exit()).code, 0);
});

test('a real Prometheus server scrapes /metrics: the app counter summed over workers, RSS per worker', async (t) => {
  const { run, port } = await startApp(t);
  const dir = mkdtempSync(join(tmpdir(), 'spindle-prometheus-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: spindle
    authorization:
      credentials_file: ${tokenFile}
    static_configs:
      - targets: ['127.0.0.1:${port}']
`,
  );
  const webPort = await freePort();
  const prom = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${webPort}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  prom.stderr.setEncoding('utf8').on('data', (d) => (log += d));
  const promExited = new Promise((resolve) => prom.once('exit', resolve));
  t.after(async () => {
    if (prom.exitCode === null && prom.signalCode === null) {
      prom.kill('SIGTERM');
      const timer = setTimeout(() => prom.kill('SIGKILL'), 5000);
      await promExited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const query = async (q) => {
    try {
      const r = await get(`http://127.0.0.1:${webPort}/api/v1/query?query=${encodeURIComponent(q)}`);
      return r.status === 200 ? JSON.parse(r.body).data.result : [];
    } catch {
      return []; // not listening yet
    }
  };
  let sum = [];
  let rss = [];
  for (let i = 0; i < 600 && !(sum.length === 1 && rss.length === 2); i++) {
    if (prom.exitCode !== null) assert.fail(`prometheus exited: ${log}`);
    sum = await query('sum(app_jobs_total)');
    rss = await query('spindle_worker_resident_memory_bytes');
    if (!(sum.length === 1 && rss.length === 2)) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(sum.length, 1, `no app_jobs_total in Prometheus: ${log}`);
  assert.equal(Number(sum[0].value[1]), 10);
  assert.deepEqual(rss.map((r) => r.metric.worker).sort(), ['1', '2']);
  for (const r of rss) assert.ok(Number(r.value[1]) > 0);
  const up = await query('up{job="spindle"}');
  assert.equal(up[0].value[1], '1');
  run.child.kill('SIGTERM');
  assert.equal((await run.exit()).code, 0);
});

test('spindle work --admin: /status is the control socket status, /metrics the node’s pool, queue and process', {
  timeout: 90_000,
}, async (t) => {
  const { startRedis } = await import('./helpers/redis.js');
  const redis = await startRedis(t);
  const port = await freePort();
  const tasks = join(root, 'test', 'fixtures', 'observe', 'tasks.js');
  const run = cli(
    t,
    ['work', tasks, '--queue', 'obs', '--workers', '1', '--name', 'obsnode', '--admin', String(port)],
    {
      env: { SPINDLE_REDIS_URL: redis.url, SPINDLE_ADMIN_TOKEN: TOKEN },
    },
  );
  redis.cleanup(async () => {
    if (run.child.exitCode === null) {
      run.child.kill('SIGTERM');
      await run.exit();
    }
  });
  await run.waitFor(/admin endpoint at/, 60_000);
  const { JobQueue } = await import('../dist/queue/index.js');
  const queue = new JobQueue({ name: 'obs', store: { redis: redis.url } });
  redis.cleanup(() => queue.close());
  const job = await queue.add('count', [41]);
  assert.equal(await job.result(), 42);
  const status = JSON.parse((await get(`http://127.0.0.1:${port}/status`, { authorization: `Bearer ${TOKEN}` })).body);
  assert.equal(status.kind, 'work');
  assert.equal(status.name, 'obsnode');
  let text = '';
  for (let i = 0; i < 100; i++) {
    text = await scrape(port);
    if (/spindle_pool_tasks_total\{pool="tasks",outcome="completed"\} 1/.test(text)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const r = promtool(text);
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}\n${text}`);
  const { samples } = parse(text);
  assert.equal(samples.get('spindle_pool_tasks_total{pool="tasks",outcome="completed"}'), 1);
  assert.equal(samples.get('spindle_queue_job_run_seconds_count{queue="obs"}'), 1);
  assert.equal(samples.get('spindle_queue_jobs{queue="obs",state="completed"}'), 1);
  assert.ok(samples.get('spindle_process_resident_memory_bytes') > 0);
});
