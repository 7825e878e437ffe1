#!/usr/bin/env node
// What observability costs (issue 13). Not a suite of run.js: it compares
// spindle with itself.
//
//   node benchmarks/observe.js burst [--rounds 5] [--baseline DIR] [--cases baseline,metrics,als,otel]
//   node benchmarks/observe.js scrape [--workers 8]
//
// burst: 100k tiny tasks submitted at once to a thread pool of 2 (tasks/s),
// each case in a fresh process, rounds interleaved, medians:
//   baseline  a build of spindle without metrics (--baseline: its package
//             root, e.g. `git worktree add /tmp/base <commit> && npm run build`)
//   metrics   this build: pool counters and histograms (always on)
//   als       + a contextHook registered and a value set around every run()
//   otel      + an OpenTelemetry tracer provider registered (a span per task,
//             trace context with every task; spans go to a no-op processor)
// scrape: `spindle start` of an app with `--workers N` (each with a pool and
// prom-client's default metrics) and `--admin`; 50 scrapes of /metrics one
// after the other, median and p99 ms.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const self = fileURLToPath(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

const mode = process.argv[2];
if (mode === '--case') await burstCase(process.argv[3], process.argv[4]);
else if (mode === 'burst') burst();
else if (mode === 'scrape') await scrape();
else {
  console.error('usage: node benchmarks/observe.js burst|scrape [options]');
  process.exit(2);
}

function burst() {
  const rounds = Number(arg('--rounds', 5));
  const baseline = arg('--baseline');
  const only = arg('--cases')?.split(',');
  const cases = [...(baseline ? ['baseline'] : []), 'metrics', 'als', 'otel'].filter((c) => !only || only.includes(c));
  const results = Object.fromEntries(cases.map((c) => [c, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const dir = c === 'baseline' ? baseline : root;
      const out = spawnSync(process.execPath, [self, '--case', c, dir], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`case ${c} failed:\n${out.stderr}`);
      results[c].push(Number(out.stdout));
    }
  }
  const base = median(results[baseline ? 'baseline' : 'metrics']);
  console.table(
    Object.fromEntries(
      cases.map((c) => [
        c,
        { tasksPerSecond: Math.round(median(results[c])), ratio: (median(results[c]) / base).toFixed(3) },
      ]),
    ),
  );
}

async function burstCase(name, dir) {
  const { Pool } = await import(pathToFileURL(join(dir, 'dist', 'index.js')).href);
  let wrap = (fn) => fn();
  if (name === 'als') {
    const { AsyncLocalStorage } = await import('node:async_hooks');
    const { contextHook } = await import(pathToFileURL(join(dir, 'dist', 'observe', 'index.js')).href);
    const storage = new AsyncLocalStorage();
    contextHook({ name: 'request', storage });
    wrap = (fn) => storage.run('req-1', fn);
  }
  if (name === 'otel') {
    const { context, trace } = await import('@opentelemetry/api');
    const { AsyncHooksContextManager } = await import('@opentelemetry/context-async-hooks');
    const { BasicTracerProvider } = await import('@opentelemetry/sdk-trace-base');
    const noop = { onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} };
    context.setGlobalContextManager(new AsyncHooksContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [noop] }));
  }
  const worker = new URL('./workers/pool/tasks.js', import.meta.url);
  const pool = new Pool({ worker, minWorkers: 2, maxWorkers: 2 });
  await pool.ready();
  const run = async (n) => {
    const ps = new Array(n);
    for (let i = 0; i < n; i++) ps[i] = wrap(() => pool.run('echo', [i]));
    await Promise.all(ps);
  };
  await run(5000); // warm-up
  const t0 = performance.now();
  await run(100_000);
  const rate = 100_000 / ((performance.now() - t0) / 1000);
  await pool.close();
  console.log(rate);
}

async function scrape() {
  const workers = Number(arg('--workers', 8));
  const app = join(tmpdir(), `spindle-observe-bench-${process.pid}.mjs`);
  writeFileSync(
    app,
    `import http from 'node:http';
import client from ${JSON.stringify(join(root, 'node_modules', 'prom-client', 'index.js'))};
import { Pool } from ${JSON.stringify(pathToFileURL(join(root, 'dist', 'index.js')).href)};
client.collectDefaultMetrics();
new client.Counter({ name: 'app_requests_total', help: 'Requests.' }).inc();
const pool = new Pool({ worker: ${JSON.stringify(join(root, 'benchmarks', 'workers', 'pool', 'tasks.js'))}, maxWorkers: 1 });
await pool.run('echo', [1]);
http.createServer((_q, r) => r.end('ok')).listen(0, '127.0.0.1');
`,
  );
  const port = 19000 + (process.pid % 1000);
  const child = spawn(
    process.execPath,
    [join(root, 'dist', 'cli', 'index.js'), 'start', app, '--workers', String(workers), '--admin', String(port)],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SPINDLE_HOME: tmpdir() } },
  );
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  const get = () =>
    new Promise((resolve, reject) =>
      http
        .get(`http://127.0.0.1:${port}/metrics`, (res) => {
          let body = '';
          res.on('data', (d) => (body += d)).on('end', () => resolve(body));
        })
        .on('error', reject),
    );
  try {
    for (let i = 0; !log.includes('running as pid'); i++) {
      if (i > 600) throw new Error(`not started:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // every worker reported its stats
    while (!(await get()).includes(`spindle_worker_resident_memory_bytes{worker="${workers}"}`))
      await new Promise((r) => setTimeout(r, 100));
    const times = [];
    let bytes = 0;
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      bytes = (await get()).length;
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.table({ [`${workers} workers`]: { medianMs: times[25].toFixed(1), p99Ms: times[49].toFixed(1), bytes } });
  } finally {
    child.kill('SIGTERM');
  }
}
