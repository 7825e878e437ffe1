// Starts a private redis-server for a test: a free loopback port, its own
// temp directory, and always stopped afterwards (t.after), even on failure.
// A missing redis-server fails the test with a clear message: CI installs it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './load.js';

export function redisServerPath() {
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (r.status !== 0 || !path)
    throw new Error(
      'redis-server is not installed: the queue tests need it (apt-get install redis-server; .ci/run installs it)',
    );
  return path;
}

function ping(port) {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.setTimeout(500);
    c.on('connect', () => c.write('PING\r\n'));
    c.on('data', (d) => {
      c.destroy();
      // a server with --requirepass answers, but refuses PING before AUTH
      resolve(/^(\+PONG|-NOAUTH)/.test(String(d)));
    });
    c.on('error', () => resolve(false));
    c.on('timeout', () => {
      c.destroy();
      resolve(false);
    });
  });
}

/**
 * Starts redis-server. `persist: true` turns on the append-only file (fsync
 * always) so a restart keeps every job; `args` are more redis-server flags
 * (e.g. `['--requirepass', 'x']`). Returns { url, port, stop(), start() }:
 * stop() shuts it down (SIGTERM, so it writes its data), start() starts it
 * again on the same port and directory; cleanup(fn) runs fn at the end of
 * the test while Redis still runs.
 */
export async function startRedis(t, { persist = false, args: extra = [] } = {}) {
  const bin = redisServerPath();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'spindle-redis-'));
  let child;
  const args = () => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    persist ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    ...extra,
  ];
  async function start() {
    child = spawn(bin, args(), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 10_000;
    while (!(await ping(port))) {
      if (child.exitCode !== null) throw new Error(`redis-server exited at start: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} within 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.exited = exited;
  }
  async function stop() {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const c = child;
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
    await c.exited;
    clearTimeout(timer);
  }
  await start();
  const closers = [];
  t.after(async () => {
    // what uses this Redis closes first (last registered first), then Redis stops
    for (const fn of closers.reverse()) await fn();
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  /** Runs `fn` at the end of the test, before Redis stops. */
  const cleanup = (fn) => closers.push(fn);
  return { url: `redis://127.0.0.1:${port}`, port, stop, start, cleanup };
}

/**
 * Starts `node <file> ...args` and resolves once it printed "ready <pid>";
 * `t` SIGKILLs it after the test if it still runs. Returns { child, pid, exited, output() }.
 */
export function startNode(t, file, args, { timeout = 30_000, ready = /^ready (\d+)$/m } = {}) {
  const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${file} did not print ready within ${timeout} ms:\n${out}`)),
      timeout,
    );
    const check = () => {
      if (!ready.test(out)) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      child.stderr.off('data', check);
      resolve({ child, pid: child.pid, exited, output: () => out });
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`${file} exited before it was ready:\n${out}`));
    });
  });
}

// Same helper as the CLI tests use: wait on events with a timeout.
export { until } from './cli.js';
