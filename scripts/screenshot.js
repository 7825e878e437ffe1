#!/usr/bin/env node
// Makes the README's dashboard screenshot (docs/dashboard.png) with the same
// browser set-up as the tests (scripts/browser.js): runs the demo app under
// `spindle start --admin`, lets a reload and a killed worker happen so the
// charts carry their marks, then photographs the page at laptop width.
// Usage: npm run build && node scripts/screenshot.js [out.png]   (about a minute)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from './browser.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'dist/cli/index.js');
const out = process.argv[2] ?? join(root, 'docs/dashboard.png');
const home = mkdtempSync(join(tmpdir(), 'spindle-shot-'));
// With a token, so that the picture shows the actions too (the token never leaves this script and the page).
const token = `screenshot-${process.pid}-${Date.now()}`;
const env = { ...process.env, SPINDLE_HOME: home, NO_COLOR: '1' };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const spindle = (...args) => {
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`spindle ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
};

const admin = await freePort();
const sup = spawn(
  process.execPath,
  [
    bin,
    'start',
    join(root, 'scripts/dashboard-demo.mjs'),
    '--name',
    'api',
    '--workers',
    '3',
    '--admin',
    `127.0.0.1:${admin}`,
  ],
  { env: { ...env, SPINDLE_ADMIN_TOKEN: token, PORT: String(await freePort()) }, stdio: ['ignore', 'ignore', 'pipe'] },
);
let log = '';
sup.stderr.setEncoding('utf8').on('data', (d) => (log += d));
const stop = () => sup.exitCode === null && sup.kill('SIGTERM');
process.on('exit', () => {
  if (sup.exitCode === null) sup.kill('SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

try {
  const started = Date.now();
  while (!/admin endpoint at/.test(log)) {
    if (sup.exitCode !== null || Date.now() - started > 30_000)
      throw new Error(`spindle start did not come up:\n${log}`);
    await sleep(100);
  }
  console.log('running; letting history build up');
  await sleep(25_000);
  spindle('reload', 'api');
  await sleep(12_000);
  const victim = JSON.parse(spindle('status', 'api', '--json')).workers[1].pid;
  process.kill(victim, 'SIGKILL');
  await sleep(12_000);

  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, colorScheme: 'light' });
    const page = await context.newPage();
    await page.addInitScript((t) => sessionStorage.setItem('spindle-admin-token', t), token);
    await page.goto(`http://127.0.0.1:${admin}/`);
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 });
    await page.waitForSelector('#pools tbody tr', { timeout: 15_000 });
    await sleep(1500);
    await page.screenshot({ path: out });
    console.log(`wrote ${out}`);
  } finally {
    await browser.close();
  }
} finally {
  stop();
}
