// Shared helpers for the test suites.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

/** URL of a fixture file: fixture('pool/tasks.js'). */
export function fixture(name) {
  return new URL(`./fixtures/${name}`, import.meta.url);
}

/** Rejects if `promise` has not settled within `ms`: a hang becomes a failure. */
export function within(promise, ms, what = 'operation') {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** Waits until `int32[index] !== value` (Atomics, no polling), or fails after `ms`. */
export async function waitChange(int32, index, value, ms = 10_000) {
  const keepAlive = setTimeout(() => {}, ms + 1000);
  try {
    const r = Atomics.waitAsync(int32, index, value, ms);
    const outcome = r.async ? await r.value : r.value;
    if (outcome === 'timed-out') throw new Error(`shared value [${index}] stayed ${value} for ${ms} ms`);
  } finally {
    clearTimeout(keepAlive);
  }
}

/** Waits until `int32[index] >= target`. */
export async function waitAtLeast(int32, index, target, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (let v = Atomics.load(int32, index); v < target; v = Atomics.load(int32, index)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`shared value [${index}] reached ${v}, not ${target}, within ${ms} ms`);
    await waitChange(int32, index, v, left);
  }
}

/** Asserts a promise rejects with an error of this code; returns the error. */
export async function rejectsCode(promise, code) {
  let error;
  await assert.rejects(promise, (e) => {
    error = e;
    assert.equal(e?.code, code, `expected code ${code}, got ${e?.code}: ${e?.message}`);
    return true;
  });
  return error;
}

/** A fresh shared Int32Array. */
export function shared(n) {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}

/** Runs `node -e code` (or a file) and resolves with { code, signal, stdout, stderr }, killing it after `ms`. */
export function runNode(args, { ms = 20_000, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} did not exit within ${ms} ms\n${stdout}\n${stderr}`));
    }, ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Counts events on an emitter: counter.get('workerExit'). */
export function countEvents(emitter, names) {
  const counts = new Map(names.map((n) => [n, 0]));
  for (const n of names) emitter.on(n, () => counts.set(n, counts.get(n) + 1));
  return counts;
}

/** Destroys `pool` when test `t` ends, whatever happened. Returns the pool. */
export function track(t, pool) {
  t.after(() => pool.destroy());
  return pool;
}

/** OS threads of this process (Linux): worker threads show up here. */
export function threadCount() {
  return readdirSync('/proc/self/task').length;
}

/** Live (non-zombie) processes whose parent is `ppid` (Linux /proc). */
export function childPids(ppid = process.pid) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(Number(name));
    if (stat && stat.ppid === ppid && stat.state !== 'Z') out.push(Number(name));
  }
  return out;
}

function procStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** Whether `pid` is a live process (a zombie counts as gone). */
export function processAlive(pid) {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/**
 * Resolves once none of `pids` is alive; rejects after `ms`. An exiting
 * process gives no event we can wait on, so this polls, bounded.
 */
export async function waitGone(pids, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = pids.filter(processAlive);
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`processes ${left.join(', ')} still alive after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Registers `fn(t, runtime)` once per runtime: the thread and process
 * runtimes promise the same behaviour, so these tests hold for both.
 */
export function eachRuntime(name, options, fn) {
  for (const runtime of ['thread', 'process']) test(`${name} [${runtime}]`, options, (t) => fn(t, runtime));
}

/**
 * Submits six echo tasks at three priorities to a pool whose workers are
 * busy; `check()` (once they settled) asserts the order they ran in. Tasks
 * sent ahead to a busy worker keep their place there; only those still queued
 * are reordered, so one step out of rank order is allowed.
 */
export function priorityRuns(pool) {
  const order = [];
  const runs = [
    pool.run('echo', ['low-1'], { priority: -1 }),
    pool.run('echo', ['mid-1']),
    pool.run('echo', ['high-1'], { priority: 10 }),
    pool.run('echo', ['mid-2']),
    pool.run('echo', ['high-2'], { priority: 10 }),
    pool.run('echo', ['low-2'], { priority: -1 }),
  ].map((p) => p.then((v) => order.push(v)));
  return {
    settled: Promise.all(runs),
    check() {
      const rank = (v) => (v.startsWith('high') ? 0 : v.startsWith('mid') ? 1 : 2);
      const sentAhead = order.filter((v, i) => i > 0 && rank(v) < rank(order[i - 1]));
      assert.ok(sentAhead.length <= 1, `order ${order.join(',')}`);
      assert.ok(order.indexOf('high-1') < order.indexOf('high-2'));
      assert.ok(order.indexOf('mid-1') < order.indexOf('mid-2'));
      assert.ok(order.indexOf('low-1') < order.indexOf('low-2'));
    },
  };
}
