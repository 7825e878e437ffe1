// The dashboard (issue 14): what the page open and streaming costs the
// supervisor. `spindle start hello.cjs --workers 4` three ways, each for
// --seconds (default 30) of idle serving after a 5 s settle, CPU from /proc
// (user + system over the window) and RSS at its end:
//   - no --admin (baseline);
//   - --admin, no page open (the feed samples once a second and keeps the history);
//   - --admin with a dashboard page open in headless chromium (scripts/browser.js), streaming.
// Bar: the page streaming costs the supervisor under 2 % of one core and
// under 10 MiB (page open vs no page). Also: the heap a full history takes
// (900 samples of 8 workers, plus MAX_EVENTS events), measured in-process.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpuOf, flag, freePort, rssOf } from '../lib/proc.js';
import { median, table, writeJson } from '../lib/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const bin = join(root, 'dist', 'cli', 'index.js');
const hello = join(here, '..', 'fixtures', 'cluster', 'hello.cjs');
const { launchBrowser } = await import(pathToFileURL(join(root, 'scripts', 'browser.js')).href);
const { History, MAX_EVENTS } = await import(pathToFileURL(join(root, 'dist', 'dashboard', 'history.js')).href);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const MiB = (b) => b / 1024 / 1024;

/** Starts spindle start (with --admin when `admin`); resolves { pid, adminPort, stop }. */
async function start(admin) {
  const home = mkdtempSync(join(tmpdir(), 'spindle-dash-bench-'));
  const adminPort = await freePort();
  const args = [
    'start',
    hello,
    '--name',
    'bench',
    '--workers',
    '4',
    ...(admin ? ['--admin', `127.0.0.1:${adminPort}`] : []),
  ];
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, SPINDLE_HOME: home, PORT: String(await freePort()), NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (log += d));
  const started = Date.now();
  while (!/running as pid/.test(log)) {
    if (child.exitCode !== null || Date.now() - started > 30_000) throw new Error(`spindle start failed:\n${log}`);
    await sleep(50);
  }
  return {
    pid: child.pid,
    adminPort,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** CPU % of one core and RSS of `pid` over `seconds`. */
async function measure(pid, seconds) {
  const c0 = cpuOf(pid);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const cpu = ((cpuOf(pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
  return { cpu, rss: rssOf(pid) };
}

function historyHeap() {
  globalThis.gc?.();
  const used = () => process.memoryUsage().heapUsed + process.memoryUsage().external; // typed arrays live outside the heap
  const before = used();
  const h = new History(900);
  let tasks = 0;
  for (let i = 0; i < 900; i++) {
    tasks += 100;
    h.sample(
      i * 1000,
      Array.from({ length: 8 }, (_, id) => ({
        id: id + 1,
        pid: 1000 + id,
        rss: 7e7 + i,
        cpu: 3.2,
        delay: 1.5,
        tasks,
      })),
    );
  }
  for (let i = 0; i < MAX_EVENTS; i++)
    h.event({ t: 900_000, kind: 'crash', worker: 1, pid: 1, detail: 'killed by SIGKILL after 3.5s' });
  globalThis.gc?.();
  const bytes = used() - before;
  const json = JSON.stringify({ samples: h.samples(), events: h.events() }).length;
  return { bytes, json };
}

export async function run(flags) {
  const seconds = flag(flags, 'seconds', 30);
  const nRounds = flag(flags, 'rounds', 3);
  const results = { none: [], admin: [], page: [] };
  const browser = await launchBrowser();
  try {
    for (let r = 0; r < nRounds; r++) {
      const plain = await start(false);
      await sleep(5000);
      results.none.push(await measure(plain.pid, seconds));
      await plain.stop();

      const sup = await start(true);
      await sleep(5000);
      results.admin.push(await measure(sup.pid, seconds));
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${sup.adminPort}/`);
      await page.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 });
      await sleep(5000);
      results.page.push(await measure(sup.pid, seconds));
      await page.close();
      await sup.stop();
      console.log(
        `round ${r + 1}: cpu ${results.none.at(-1).cpu.toFixed(2)} / ${results.admin.at(-1).cpu.toFixed(2)} / ${results.page.at(-1).cpu.toFixed(2)} %`,
      );
    }
  } finally {
    await browser.close();
  }
  const med = (list, key) => median(list.map((x) => x[key]));
  const rows = [
    ['no --admin', med(results.none, 'cpu'), MiB(med(results.none, 'rss'))],
    ['--admin, no page', med(results.admin, 'cpu'), MiB(med(results.admin, 'rss'))],
    ['--admin, page streaming', med(results.page, 'cpu'), MiB(med(results.page, 'rss'))],
  ].map(([k, cpu, rss]) => ({
    case: k,
    'supervisor CPU (% of a core)': cpu.toFixed(2),
    'supervisor RSS (MiB)': rss.toFixed(1),
  }));
  table(`supervisor cost, 4 idle workers, ${seconds} s windows, median of ${nRounds} rounds`, rows);
  const streaming = {
    cpu: med(results.page, 'cpu') - med(results.admin, 'cpu'),
    rss: MiB(med(results.page, 'rss') - med(results.admin, 'rss')),
  };
  console.log(
    `page streaming vs no page: ${streaming.cpu.toFixed(2)} % of a core, ${streaming.rss.toFixed(1)} MiB (bar: < 2 %, < 10 MiB)`,
  );
  const heap = historyHeap();
  console.log(
    `a full history (900 samples x 8 workers, ${MAX_EVENTS} events): ${MiB(heap.bytes).toFixed(2)} MiB of memory, ${(heap.json / 1024).toFixed(0)} KiB as JSON (what a new page receives)`,
  );
  writeJson('dashboard', { seconds, rounds: nRounds, results, streaming, history: heap });
}
