// Helpers for the control-plane tests: a private SPINDLE_HOME per test (so
// tests never see each other's supervisors or the user's), one-shot spindle
// commands, named supervisors that are always stopped at the end, and raw
// protocol lines on a socket.
import { rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { cli, fixtures, tempDir } from './cli.js';
import { freePort } from './load.js';

export const app = join(fixtures, 'app.mjs');

/** A fresh control directory for one test (removed afterwards). */
export function home(t) {
  const dir = tempDir('home-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `spindle ...args` to completion with SPINDLE_HOME=`dir`; resolves { code, stdout, stderr, json }. */
export async function spindle(t, dir, args, { env = {}, timeout = 60_000 } = {}) {
  const p = cli(t, args, { env: { SPINDLE_HOME: dir, NO_COLOR: '1', ...env } });
  const { code, signal } = await p.exit(timeout);
  let json;
  try {
    json = JSON.parse(p.out.stdout);
  } catch {
    json = undefined;
  }
  return { code, signal, stdout: p.out.stdout, stderr: p.out.stderr, json };
}

/**
 * Starts `spindle start` under `name` with SPINDLE_HOME=`dir` on a free port
 * and waits until its workers are ready; killed after the test if still running.
 */
export async function startNamed(t, dir, name, { script = app, workers = 2, args = [], env = {} } = {}) {
  const port = await freePort();
  const p = cli(t, ['start', script, '--name', name, '--workers', String(workers), ...args], {
    env: { SPINDLE_HOME: dir, PORT: String(port), NO_COLOR: '1', ...env },
  });
  await p.waitFor(/running as pid (\d+)/, 40_000);
  const pid = Number(/running as pid (\d+)/.exec(p.out.stderr)[1]);
  return { ...p, port, pid, socket: join(dir, `${name}.sock`) };
}

/**
 * Opens a raw connection to a control socket: `send(text)` writes bytes,
 * `next()` resolves the next reply line parsed (with a timeout).
 */
export async function raw(path) {
  const socket = net.connect(path);
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const lines = [];
  const waiters = [];
  let rest = '';
  socket.setEncoding('utf8').on('data', (d) => {
    const parts = (rest + d).split('\n');
    rest = parts.pop();
    for (const p of parts) {
      const w = waiters.shift();
      if (w) w(JSON.parse(p));
      else lines.push(JSON.parse(p));
    }
  });
  return {
    socket,
    send: (text) => socket.write(text),
    next(timeout = 10_000) {
      if (lines.length) return Promise.resolve(lines.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no reply line within ${timeout} ms`)), timeout);
        waiters.push((v) => {
          clearTimeout(timer);
          resolve(v);
        });
      });
    },
    close: () => socket.destroy(),
  };
}

/** True while process `pid` exists. */
export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
