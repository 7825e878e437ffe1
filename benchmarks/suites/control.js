// The control plane (issue 12): what it costs the supervisor.
//  1. Supervisor RSS with 2 and with 8 workers before and after N `status`
//     requests (default 100k, each on a new connection, as `spindle status`
//     makes them), sampled along the way: it must stay flat. Beside it, PM2's
//     daemon before and after as many `pm2.list()` calls (its programmatic
//     API, one connection), the daemon PM2 users poll with `pm2 ls`/`jlist`.
//  2. `status` round trip while the workers are under HTTP load: over the
//     socket (connect, request, reply) and as the `spindle status NAME --json`
//     command (which includes starting node).
//  3. Workers' output through the supervisor on a log-heavy app (one ~120-byte
//     line per request): req/s with the output piped through the supervisor
//     (a name: pass-through + ring) vs inherited stdio (no name), stdout to a
//     file in both cases. Bar: >= 0.95x.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { cpuOf, flag, freePort, rssOf } from '../lib/proc.js';
import { median, table, writeJson } from '../lib/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', 'fixtures', 'cluster');
const root = join(here, '..', '..');
const spindleBin = join(root, 'dist', 'cli', 'index.js');
const pm2Bin = join(here, '..', 'node_modules', 'pm2', 'bin', 'pm2');
const { ControlClient } = await import(pathToFileURL(join(root, 'dist', 'control', 'client.js')).href);

const MiB = (b) => b / 1024 / 1024;

async function getPid(port) {
  const http = await import('node:http');
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/pid', agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(Number(body)));
    });
    req.on('error', () => resolve(undefined));
    req.setTimeout(2000, () => req.destroy());
  });
}

async function allUp(port, workers, timeout = 60_000) {
  const seen = new Set();
  const start = Date.now();
  while (seen.size < workers) {
    if (Date.now() - start > timeout) throw new Error(`only ${seen.size} workers answered on ${port}`);
    const pid = await getPid(port);
    if (pid) seen.add(pid);
    else await new Promise((r) => setTimeout(r, 50));
  }
}

function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

function cannon(port, { connections, duration }) {
  return new Promise((resolve, reject) => {
    autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration, pipelining: 1 }, (err, result) =>
      err ? reject(err) : resolve(result),
    );
  });
}

/** `spindle start <script> --name <name>` in a private SPINDLE_HOME; resolves once every worker answers. */
async function startNamed(script, workers, name = 'bench') {
  const home = mkdtempSync(join(tmpdir(), 'spindle-bench-home-'));
  const port = await freePort();
  const child = spawn(process.execPath, [spindleBin, 'start', script, '--name', name, '--workers', String(workers)], {
    env: { ...process.env, PORT: String(port), SPINDLE_HOME: home },
    stdio: 'ignore',
  });
  await allUp(port, workers);
  return {
    pid: child.pid,
    port,
    home,
    socket: join(home, `${name}.sock`),
    stop: async () => {
      await stopChild(child);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** `n` status requests, each on a new connection, `concurrency` at a time; calls `sample(done)` every `every`. */
async function statusStorm(socket, n, { concurrency = 8, every = n / 4, sample = () => {} } = {}) {
  let next = 0;
  let done = 0;
  const loop = async () => {
    while (next < n) {
      next++;
      const c = await ControlClient.connect(socket);
      try {
        await c.request('status', {}, { timeout: 10_000 });
      } finally {
        c.close();
      }
      done++;
      if (done % every === 0) sample(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}

async function rssUnderPolling(workers, requests) {
  const sup = await startNamed(join(fixtures, 'hello.cjs'), workers);
  try {
    await statusStorm(sup.socket, 1000); // warm-up: first connections, JIT
    const before = rssOf(sup.pid);
    const samples = [];
    const started = Date.now();
    await statusStorm(sup.socket, requests, { sample: () => samples.push(rssOf(sup.pid)) });
    const seconds = (Date.now() - started) / 1000;
    return { before, after: rssOf(sup.pid), samples, seconds };
  } finally {
    await sup.stop();
  }
}

async function pm2UnderPolling(workers, requests) {
  const home = mkdtempSync(join(tmpdir(), 'spindle-bench-pm2-'));
  const port = await freePort();
  const env = { ...process.env, PM2_HOME: home, PORT: String(port) };
  const pm2cli = (...args) => spawnSync(process.execPath, [pm2Bin, ...args], { env, encoding: 'utf8' });
  const r = pm2cli('start', join(fixtures, 'hello.cjs'), '-i', String(workers), '--name', 'hello');
  if (r.status !== 0) throw new Error(`pm2 start failed: ${r.stderr || r.stdout}`);
  try {
    await allUp(port, workers);
    const daemon = Number(readFileSync(join(home, 'pm2.pid'), 'utf8'));
    // PM2 reads PM2_HOME when it is loaded: a fresh copy of its module for this home.
    process.env.PM2_HOME = home;
    const require = createRequire(join(here, '..', 'package.json'));
    for (const key of Object.keys(require.cache)) if (key.includes('/node_modules/pm2/')) delete require.cache[key];
    const pm2 = require('pm2');
    await new Promise((resolve, reject) => pm2.connect((err) => (err ? reject(err) : resolve())));
    const list = () => new Promise((resolve, reject) => pm2.list((err, l) => (err ? reject(err) : resolve(l))));
    for (let i = 0; i < 1000; i++) await list();
    const before = rssOf(daemon);
    const started = Date.now();
    for (let i = 0; i < requests; i++) await list();
    const seconds = (Date.now() - started) / 1000;
    const after = rssOf(daemon);
    pm2.disconnect();
    return { before, after, seconds };
  } finally {
    pm2cli('kill');
    delete process.env.PM2_HOME;
    rmSync(home, { recursive: true, force: true });
  }
}

/** autocannon in a process of its own (so that it does not share the measuring event loop); resolves its JSON result. */
function cannonProcess(port, { connections, duration }) {
  const bin = join(here, '..', 'node_modules', 'autocannon', 'autocannon.js');
  const child = spawn(
    process.execPath,
    [bin, '-c', String(connections), '-d', String(duration), '-j', `http://127.0.0.1:${port}/`],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`autocannon ${code}`)))),
  );
}

async function roundTripUnderLoad({ connections, duration }) {
  const sup = await startNamed(join(fixtures, 'hello.cjs'), 2);
  try {
    const load = cannonProcess(sup.port, { connections, duration: duration + 2 });
    await new Promise((r) => setTimeout(r, 1000)); // let the load build up
    const socketMs = [];
    const until = Date.now() + duration * 1000;
    while (Date.now() < until && socketMs.length < 2000) {
      const t0 = process.hrtime.bigint();
      const c = await ControlClient.connect(sup.socket);
      await c.request('status', {}, { timeout: 10_000 });
      c.close();
      socketMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      await new Promise((r) => setTimeout(r, 5));
    }
    const cliMs = [];
    for (let i = 0; i < 10; i++) {
      const t0 = process.hrtime.bigint();
      await new Promise((resolve, reject) => {
        const c = spawn(process.execPath, [spindleBin, 'status', 'bench', '--json'], {
          env: { ...process.env, SPINDLE_HOME: sup.home },
          stdio: 'ignore',
        });
        c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`spindle status exited ${code}`))));
      });
      cliMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const r = await load;
    const sorted = [...socketMs].sort((a, b) => a - b);
    return {
      socketP50: median(socketMs),
      socketP99: sorted[Math.floor(sorted.length * 0.99)],
      socketN: socketMs.length,
      cliMedian: median(cliMs),
      loadRps: r.requests.average,
    };
  } finally {
    await sup.stop();
  }
}

/**
 * The log-heavy app under load, its output piped through a named supervisor or
 * inherited; the supervisor's stdout and stderr go to a file, or to a pipe
 * read by `cat > /dev/null` (as under docker or systemd).
 */
async function logsRound(mode, sink, { connections, duration }) {
  const dir = mkdtempSync(join(tmpdir(), 'spindle-bench-logs-'));
  let out;
  let cat;
  if (sink === 'file') out = openSync(join(dir, 'out.log'), 'w');
  else {
    cat = spawn('sh', ['-c', 'exec cat > /dev/null'], { stdio: ['pipe', 'ignore', 'ignore'] });
    out = cat.stdin;
  }
  const port = await freePort();
  const child = spawn(process.execPath, [join(fixtures, 'supervise.mjs')], {
    env: {
      ...process.env,
      PORT: String(port),
      SCRIPT: join(fixtures, 'chatty.cjs'),
      WORKERS: '2',
      NAME: mode === 'piped' ? 'chatty' : '',
      SPINDLE_HOME: dir,
    },
    stdio: ['ignore', out, out],
  });
  try {
    await allUp(port, 2);
    await cannon(port, { connections, duration: 1 }); // warm-up
    const cpu0 = cpuOf(child.pid);
    const r = await cannon(port, { connections, duration });
    const cpu = cpuOf(child.pid) - cpu0;
    return {
      rps: r.requests.average,
      errors: r.errors + r.timeouts + r.non2xx,
      supervisorRss: rssOf(child.pid),
      // One line per request: the supervisor's CPU per line (less sensitive to a busy machine than req/s).
      cpuPerLine: (cpu / r.requests.total) * 1e6,
    };
  } finally {
    await stopChild(child);
    if (cat) {
      cat.stdin.end();
      await new Promise((r) => cat.once('exit', r));
    } else closeSync(out);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(flags) {
  const requests = flag(flags, 'requests', 100_000);
  const rounds = flag(flags, 'rounds', 5);
  const duration = flag(flags, 'duration', 5);
  const connections = flag(flags, 'connections', 50);
  const skipPm2 = flags.includes('--no-pm2');
  // --only=rss|roundtrip|logs runs one part.
  const only = flags.find((f) => f.startsWith('--only='))?.slice(7);
  const part = (name) => only === undefined || only === name;
  const rssRows = [];
  const rssResults = {};
  let rt;
  const modes = ['inherited', 'piped'];
  const sinks = ['file', 'pipe'];
  const logs = {};
  for (const sink of sinks)
    for (const mode of modes) logs[`${mode}/${sink}`] = { rps: [], errors: 0, rss: [], cpu: [] };
  let logRows = [];

  if (part('rss')) console.log(`1. supervisor RSS before/after ${requests} status requests (new connection each)`);
  for (const workers of part('rss') ? [2, 8] : []) {
    const s = await rssUnderPolling(workers, requests);
    rssResults[`spindle-${workers}`] = s;
    console.log(
      `  spindle, ${workers} workers: ${MiB(s.before).toFixed(1)} → ${MiB(s.after).toFixed(1)} MiB (samples ${s.samples.map((x) => MiB(x).toFixed(1)).join(', ')}), ${Math.round(requests / s.seconds)} status/s`,
    );
    let pm2;
    if (!skipPm2) {
      pm2 = await pm2UnderPolling(workers, requests);
      rssResults[`pm2-${workers}`] = pm2;
      console.log(
        `  pm2 daemon, ${workers} workers: ${MiB(pm2.before).toFixed(1)} → ${MiB(pm2.after).toFixed(1)} MiB, ${Math.round(requests / pm2.seconds)} list/s`,
      );
    }
    rssRows.push({
      workers,
      'spindle before (MiB)': MiB(s.before),
      'spindle after (MiB)': MiB(s.after),
      'spindle growth (MiB)': MiB(s.after - s.before),
      'pm2 daemon before (MiB)': pm2 ? MiB(pm2.before) : Number.NaN,
      'pm2 daemon after (MiB)': pm2 ? MiB(pm2.after) : Number.NaN,
      'spindle/pm2 after': pm2 ? s.after / pm2.after : Number.NaN,
    });
  }
  if (part('rss')) table(`control: supervisor RSS, ${requests} status requests`, rssRows);

  if (part('roundtrip')) {
    console.log(`2. status round trip under load (autocannon ${connections} connections, 2 workers)`);
    rt = await roundTripUnderLoad({ connections, duration });
    table('control: status round trip under load', [
      {
        'socket p50 (ms)': rt.socketP50,
        'socket p99 (ms)': rt.socketP99,
        requests: rt.socketN,
        'spindle status --json (ms, median of 10)': rt.cliMedian,
        'load req/s meanwhile': rt.loadRps,
      },
    ]);
  }

  if (part('logs'))
    console.log(`3. log-heavy app: output piped through the supervisor vs inherited, ${rounds} interleaved rounds`);
  for (let round = 0; part('logs') && round < rounds; round++) {
    for (const sink of sinks) {
      for (const mode of modes) {
        const r = await logsRound(mode, sink, { connections, duration });
        const key = `${mode}/${sink}`;
        logs[key].rps.push(r.rps);
        logs[key].errors += r.errors;
        logs[key].rss.push(r.supervisorRss);
        logs[key].cpu.push(r.cpuPerLine);
        console.log(`  round ${round + 1} ${key}: ${Math.round(r.rps)} req/s`);
      }
    }
  }
  if (part('logs')) {
    logRows = Object.entries(logs).map(([key, r]) => {
      const [mode, sink] = key.split('/');
      return {
        "spindle's stdout to": sink === 'file' ? 'a file' : 'a pipe (cat)',
        "workers' output": mode,
        'req/s (median)': median(r.rps),
        'vs inherited': median(r.rps) / median(logs[`inherited/${sink}`].rps),
        'supervisor CPU per line (µs)': median(r.cpu),
        'supervisor RSS (MiB)': MiB(median(r.rss)),
        errors: r.errors,
      };
    });
    table('control: log-heavy app, 2 workers, one line per request', logRows);
  }
  writeJson('control', {
    requests,
    rounds,
    duration,
    connections,
    rss: rssResults,
    rssRows,
    roundTrip: rt,
    logs,
    logRows,
  });
}
