// The process runtime runs the same task modules with the same API as threads.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Pool } from 'spindle';
import { beacon } from './helpers/beacon.js';
import { childPids, fixture, track, within } from './helpers.js';

const T = { timeout: 30_000 };
const tasks = fixture('process/tasks.js');
const processPool = (t, options) => track(t, new Pool({ worker: tasks, runtime: 'process', ...options }));

test('runs sync, async and default-export tasks in child processes', T, async (t) => {
  const pool = processPool(t, { maxWorkers: 2 });
  assert.equal(await pool.run('add', [1, 2]), 3);
  assert.equal(await pool.run('addAsync', [3, 4]), 7);
  assert.equal(await pool.run('default', [21]), 42);
  assert.equal(await pool.run('noArgs'), 'none');
  const pid = await pool.run('pid');
  assert.notEqual(pid, process.pid);
  assert.ok(childPids().includes(pid), 'the worker is a child process of this one');
  assert.equal(pool.options.runtime, 'process');
});

test('loads .cjs, default-export .cjs and .ts modules', T, async () => {
  for (const [file, task, args, expected] of [
    ['pool/tasks.cjs', 'kind', [], 'cjs'],
    ['pool/default.cjs', 'default', [3], 9],
    ['pool/tasks.ts', 'kind', [], 'ts'],
  ]) {
    const pool = new Pool({ worker: fixture(file), runtime: 'process', maxWorkers: 1 });
    assert.equal(await pool.run(task, args), expected, file);
    await pool.close();
  }
});

test('proxy() and many tasks: every result right, spread over the workers', T, async (t) => {
  const pool = processPool(t, { maxWorkers: 2 });
  assert.equal(await pool.proxy().add(5, 6), 11);
  const n = 20_000;
  const results = await within(Promise.all(Array.from({ length: n }, (_, i) => pool.run('echo', [i]))), 20_000, 'burst');
  assert.deepEqual(results, Array.from({ length: n }, (_, i) => i));
  const s = pool.stats;
  assert.equal(s.completed, n + 1);
  assert.equal(s.failed, 0);
  assert.equal(s.running, 0);
  assert.ok(s.workers >= 1 && s.workers <= 2);
});

test('values cross as structured clones; transfer lists are accepted and copy', T, async (t) => {
  const pool = processPool(t, { maxWorkers: 1 });
  const rich = {
    m: new Map([[1, { a: [1n] }]]),
    s: new Set(['x']),
    d: new Date(5),
    big: 10n ** 20n,
    arr: new Uint16Array([1, 2]),
    buf: Buffer.from('hi'),
    err: new RangeError('r'),
    re: /a+/g,
    special: [-0, Number.NaN, Number.POSITIVE_INFINITY, undefined, null],
    missing: undefined,
  };
  assert.deepEqual(await pool.run('echo', [rich]), rich);
  const plain = { a: [1, 'two', { three: true, four: null }], b: 'é\u2028\ud800' };
  assert.deepEqual(await pool.run('echo', [plain]), plain);
  assert.equal(await pool.run('echo', [undefined]), undefined);
  const holey = [1, 2, 3];
  delete holey[1];
  const back1 = await pool.run('echo', [holey]);
  assert.ok(!(1 in back1) && back1.length === 3, 'a hole stays a hole');
  const cyclic = { name: 'loop' };
  cyclic.self = cyclic;
  const back = await pool.run('echo', [cyclic]);
  assert.equal(back.self, back);
  const buf = new ArrayBuffer(1024);
  assert.equal(await pool.run('byteLength', [buf], { transfer: [buf] }), 1024);
  assert.equal(buf.byteLength, 1024, 'a process gets a copy: the buffer stays here');
  const { buf: made } = await pool.run('makeBuffer', [2048]);
  assert.equal(new Uint8Array(made)[2047], 7);
});

test('workerData, env, execArgv and cwd reach the workers; the boot record does not', T, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spindle-cwd-'));
  const data = { hello: 'world', when: new Date(1), list: new Set([1]) };
  const pool = processPool(t, {
    maxWorkers: 1,
    workerData: data,
    env: { SPINDLE_TEST_ENV: 'yes' },
    execArgv: ['--no-warnings'],
    cwd: dir,
  });
  assert.deepEqual(await pool.run('data'), data);
  assert.equal(await pool.run('env', ['SPINDLE_TEST_ENV']), 'yes');
  assert.equal(await pool.run('env', ['PATH']), undefined, '`env` replaces the environment');
  assert.deepEqual(await pool.run('execArgv'), ['--no-warnings']);
  assert.equal(await pool.run('cwd'), dir);
  assert.deepEqual(await pool.run('argv'), []);
  assert.equal(await pool.run('hasBootEnv'), false);
});

test('workerData that cannot be cloned fails the pool with ERR_WORKER_LOAD', T, async (t) => {
  const pool = processPool(t, { maxWorkers: 1, workerData: { fn() {} } });
  const e = await pool.run('add', [1, 2]).catch((err) => err);
  assert.equal(e.code, 'ERR_WORKER_LOAD');
  assert.deepEqual(childPids(), [], 'nothing was forked');
});

test('priorities: higher first, FIFO within a priority', T, async (t) => {
  const b = await beacon();
  t.after(() => b.close());
  const pool = processPool(t, { maxWorkers: 1, minWorkers: 1 });
  await pool.ready();
  const blocker = pool.run('gatedBy', [b.path, 'blocker', 'first']);
  await b.seen('blocker');
  const order = [];
  const runs = [
    pool.run('echo', ['low-1'], { priority: -1 }),
    pool.run('echo', ['mid-1']),
    pool.run('echo', ['high-1'], { priority: 10 }),
    pool.run('echo', ['mid-2']),
    pool.run('echo', ['high-2'], { priority: 10 }),
    pool.run('echo', ['low-2'], { priority: -1 }),
  ].map((p) => p.then((v) => order.push(v)));
  b.release('blocker');
  assert.equal(await blocker, 'first');
  await Promise.all(runs);
  // tasks sent ahead to the busy worker keep their order; the rest is reordered
  const rank = (v) => (v.startsWith('high') ? 0 : v.startsWith('mid') ? 1 : 2);
  const sentAhead = order.filter((v, i) => i > 0 && rank(v) < rank(order[i - 1]));
  assert.ok(sentAhead.length <= 1, `order ${order.join(',')}`);
  assert.ok(order.indexOf('high-1') < order.indexOf('high-2'));
  assert.ok(order.indexOf('mid-1') < order.indexOf('mid-2'));
});

test('events, stats and idle timeout work as with threads', T, async () => {
  const pool = new Pool({ worker: tasks, runtime: 'process', maxWorkers: 2, idleTimeout: 50 });
  const created = [];
  const exited = [];
  pool.on('workerCreate', (e) => created.push(e.id));
  pool.on('workerExit', (e) => exited.push(e));
  assert.equal(pool.stats.workers, 0);
  await Promise.all(Array.from({ length: 20 }, () => pool.run('sleep', [2])));
  const s = pool.stats;
  assert.equal(s.completed, 20);
  assert.ok(s.runTime.p50 > 0 && s.utilization > 0 && s.utilization <= 1);
  await within(once(pool, 'workerExit'), 10_000, 'idle exit');
  assert.ok(exited.every((e) => e.expected && e.reason === 'exit'));
  await pool.close();
  assert.equal(exited.length, created.length, 'every worker created exited once');
  assert.deepEqual(childPids(), []);
});

/** Captures what the pool relays to this process's stdout/stderr while `fn` runs. */
async function capture(fn) {
  const out = { stdout: '', stderr: '' };
  const writes = {};
  for (const name of ['stdout', 'stderr']) {
    writes[name] = process[name].write;
    process[name].write = function (chunk, ...rest) {
      out[name] += String(chunk);
      return writes[name].call(this, chunk, ...rest);
    };
  }
  try {
    await fn();
  } finally {
    for (const name of ['stdout', 'stderr']) process[name].write = writes[name];
  }
  return out;
}

test("stdio: 'prefix' tags each line with the worker id; 'ignore' drops output", T, async () => {
  const prefixed = await capture(async () => {
    const pool = new Pool({ worker: tasks, runtime: 'process', maxWorkers: 1, stdio: 'prefix' });
    await pool.run('speak', ['hello']);
    await pool.close(); // an exit is reported once the worker's output is relayed
  });
  assert.match(prefixed.stdout, /\[worker 1\] hello out\n/);
  assert.match(prefixed.stderr, /\[worker 1\] hello err\n/);
  const ignored = await capture(async () => {
    const pool = new Pool({ worker: tasks, runtime: 'process', maxWorkers: 1, stdio: 'ignore' });
    await pool.run('speak', ['quiet']);
    await pool.close();
  });
  assert.doesNotMatch(ignored.stdout + ignored.stderr, /quiet/);
  const inherited = await capture(async () => {
    const pool = new Pool({ worker: tasks, runtime: 'process', maxWorkers: 1 });
    await pool.run('speak', ['plain']);
    await pool.close();
  });
  assert.match(inherited.stderr, /^plain err$/m, 'stderr is relayed as is');
});

test('the workers run the task module, not the parent script: a path works too', T, async () => {
  const pool = new Pool({ worker: fileURLToPath(tasks), runtime: 'process', maxWorkers: 1 });
  assert.equal(await pool.run('add', [2, 2]), 4);
  await pool.close();
});
