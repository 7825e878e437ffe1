// The process runtime runs the same task modules with the same API as threads.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Pool } from 'spindle';
import { beacon } from './helpers/beacon.js';
import { childPids, fixture, priorityRuns, track } from './helpers.js';

const T = { timeout: 30_000 };
const tasks = fixture('process/tasks.js');
const processPool = (t, options) => track(t, new Pool({ worker: tasks, runtime: 'process', ...options }));

test('each worker is a child process of this one', T, async (t) => {
  const pool = processPool(t, { maxWorkers: 2 });
  const pid = await pool.run('pid');
  assert.notEqual(pid, process.pid);
  assert.ok(childPids().includes(pid));
  assert.equal(pool.options.runtime, 'process');
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
  assert.equal(await pool.run('env', ['PATH']), process.env.PATH, '`env` is merged over process.env');
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
  const runs = priorityRuns(pool);
  b.release('blocker');
  assert.equal(await blocker, 'first');
  await runs.settled;
  runs.check();
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
