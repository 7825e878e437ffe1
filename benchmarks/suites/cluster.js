// Cluster: hello-world HTTP requests/s on loopback with 2 workers, spindle
// (`spindle start`) vs a hand-written node:cluster primary vs `pm2 start -i 2`,
// with the same autocannon settings; plus RSS of each supervisor process.
// Rounds are interleaved (spindle, node:cluster, pm2, spindle, ...) so that
// noise from the shared machine spreads over all three.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { flag, freePort, rssOf } from '../lib/proc.js';
import { median, table, writeJson } from '../lib/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', 'fixtures', 'cluster');
const hello = join(fixtures, 'hello.cjs');
const spindleBin = join(here, '..', '..', 'dist', 'cli', 'index.js');
const pm2Bin = join(here, '..', 'node_modules', 'pm2', 'bin', 'pm2');
const WORKERS = 2;

function getPid(port) {
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

/** Waits until `WORKERS` distinct worker pids answer on the port. */
async function allUp(port, timeout = 30_000) {
  const seen = new Set();
  const start = Date.now();
  while (seen.size < WORKERS) {
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

const contenders = {
  spindle: {
    async start(port) {
      const child = spawn(process.execPath, [spindleBin, 'start', hello, '--workers', String(WORKERS)], {
        env: { ...process.env, PORT: String(port) },
        stdio: 'ignore',
      });
      await allUp(port);
      return { supervisor: child.pid, stop: () => stopChild(child) };
    },
  },
  'node:cluster': {
    async start(port) {
      const child = spawn(process.execPath, [join(fixtures, 'raw-cluster.cjs')], {
        env: { ...process.env, PORT: String(port), WORKERS: String(WORKERS) },
        stdio: 'ignore',
      });
      await allUp(port);
      return { supervisor: child.pid, stop: () => stopChild(child) };
    },
  },
  pm2: {
    async start(port) {
      // Its own PM2_HOME, so no daemon of the user's is touched; killed afterwards.
      const home = mkdtempSync(join(tmpdir(), 'spindle-bench-pm2-'));
      const env = { ...process.env, PM2_HOME: home, PORT: String(port) };
      const pm2 = (...args) => spawnSync(process.execPath, [pm2Bin, ...args], { env, encoding: 'utf8' });
      const r = pm2('start', hello, '-i', String(WORKERS), '--name', 'hello');
      if (r.status !== 0) throw new Error(`pm2 start failed: ${r.stderr || r.stdout}`);
      await allUp(port);
      const daemon = Number(readFileSync(join(home, 'pm2.pid'), 'utf8'));
      return {
        supervisor: daemon,
        stop: async () => {
          pm2('kill');
          rmSync(home, { recursive: true, force: true });
        },
      };
    },
  },
};

function cannon(port, { connections, duration }) {
  return new Promise((resolve, reject) => {
    autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration, pipelining: 1 }, (err, result) =>
      err ? reject(err) : resolve(result),
    );
  });
}

export async function run(flags) {
  const rounds = flag(flags, 'rounds', 3);
  const duration = flag(flags, 'duration', 5);
  const connections = flag(flags, 'connections', 50);
  console.log(`${WORKERS} workers, autocannon ${connections} connections, ${duration}s per run, ${rounds} rounds`);
  const results = Object.fromEntries(
    Object.keys(contenders).map((k) => [k, { rps: [], rss: [], errors: 0, non2xx: 0 }]),
  );
  for (let round = 0; round < rounds; round++) {
    for (const [name, c] of Object.entries(contenders)) {
      const port = await freePort();
      const running = await c.start(port);
      try {
        await cannon(port, { connections, duration: 1 }); // warm-up
        const r = await cannon(port, { connections, duration });
        const res = results[name];
        res.rps.push(r.requests.average);
        res.errors += r.errors + r.timeouts;
        res.non2xx += r.non2xx;
        res.rss.push(rssOf(running.supervisor));
        console.log(`  round ${round + 1} ${name}: ${Math.round(r.requests.average)} req/s`);
      } finally {
        await running.stop();
      }
    }
  }
  const base = median(results['node:cluster'].rps);
  const pm2Rss = median(results.pm2.rss);
  const rows = Object.entries(results).map(([name, r]) => ({
    contender: name,
    'req/s (median)': median(r.rps),
    'vs node:cluster': median(r.rps) / base,
    'supervisor RSS (MiB)': median(r.rss) / 1024 / 1024,
    'RSS vs pm2 daemon': median(r.rss) / pm2Rss,
    errors: r.errors,
    non2xx: r.non2xx,
  }));
  table('cluster: hello-world HTTP, 2 workers, loopback', rows);
  writeJson('cluster', { rounds, duration, connections, workers: WORKERS, results, rows });
}
