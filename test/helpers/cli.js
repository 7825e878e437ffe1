// Runs `spindle` (the built CLI) as a real child process for tests: collects
// its output, waits for log lines with a timeout, and is always killed at the
// end of the test so nothing is left running.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const bin = join(root, 'dist', 'cli', 'index.js');
export const fixtures = join(root, 'test', 'fixtures', 'cluster');

/** A fresh directory inside the package (so fixtures there can import 'spindle' by name). */
export function tempDir(prefix = 'cluster-') {
  mkdirSync(join(root, '.tmp'), { recursive: true });
  return mkdtempSync(join(root, '.tmp', prefix));
}

/** Resolves when `predicate()` is true, checking on every `emitter` event; rejects after `timeout`. */
export function until(emitter, event, predicate, timeout, what) {
  return new Promise((resolve, reject) => {
    if (predicate()) return resolve();
    const timer = setTimeout(() => {
      emitter.off(event, check);
      reject(new Error(`timed out after ${timeout} ms waiting for ${what}`));
    }, timeout);
    function check() {
      if (!predicate()) return;
      clearTimeout(timer);
      emitter.off(event, check);
      resolve();
    }
    emitter.on(event, check);
  });
}

/**
 * Starts `spindle ...args`; `t` (a node:test context) kills it after the test
 * if it still runs. Unless `env` sets SPINDLE_HOME, each run gets a control
 * directory of its own: tests never see each other's supervisors (or the
 * user's), and two `spindle start app.mjs` never compete for the name 'app'.
 */
export function cli(t, args, { env = {}, cwd = root } = {}) {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd,
    env: { ...process.env, SPINDLE_HOME: env.SPINDLE_HOME ?? tempDir('home-'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d) => {
    out.stdout += d;
    child.emit('output');
  });
  child.stderr.setEncoding('utf8').on('data', (d) => {
    out.stderr += d;
    child.emit('output');
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return {
    child,
    out,
    exited,
    /** Waits until stdout+stderr matches `re` (counting from the start). */
    waitFor(re, timeout = 20_000) {
      return until(
        child,
        'output',
        () => re.test(out.stdout + out.stderr),
        timeout,
        `${re} in:\n--- stderr ---\n${out.stderr}\n--- stdout ---\n${out.stdout}`,
      );
    },
    /** Waits for exit, failing after `timeout`. */
    async exit(timeout = 30_000) {
      let timer;
      const limit = new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`spindle did not exit within ${timeout} ms:\n${out.stderr}`)),
          timeout,
        );
      });
      try {
        return await Promise.race([exited, limit]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** True when no process of the pids recorded in `dir` (one empty file per pid) still runs. */
export function allDead(dir) {
  const pids = readdirSync(dir).map(Number);
  const alive = pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  return { pids, alive };
}

/** Waits until an event fires (with a timeout), resolving with its first argument. */
export function once(emitter, event, timeout = 20_000, filter = () => true) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`timed out after ${timeout} ms waiting for '${event}'`));
    }, timeout);
    function on(value) {
      if (!filter(value)) return;
      clearTimeout(timer);
      emitter.off(event, on);
      resolve(value);
    }
    emitter.on(event, on);
  });
}

/** Checks `predicate` every 10 ms until it holds; rejects after `timeout` (for counters without events). */
export function poll(predicate, what, timeout = 20_000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (predicate()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > timeout) {
        clearInterval(timer);
        reject(new Error(`timed out after ${timeout} ms waiting for ${what}`));
      }
    }, 10);
  });
}
