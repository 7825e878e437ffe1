// close(), destroy() and process lifetime with worker processes: nothing is
// left running, and an idle pool does not keep the parent alive.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Pool } from 'spindle';
import { beacon } from './helpers/beacon.js';
import { childPids, fixture, runNode, waitGone, within } from './helpers.js';

const T = { timeout: 30_000 };
const tasks = fixture('process/tasks.js');
const tasksPath = fileURLToPath(tasks);

test('idle workers are asked to stop: their exit handlers run', T, async () => {
  const file = join(tmpdir(), `spindle-bye-${process.pid}`);
  writeFileSync(file, '');
  const pool = new Pool({ worker: tasks, runtime: 'process', maxWorkers: 1 });
  const pid = await pool.run('sayByeOnExit', [file]);
  const exits = [];
  pool.on('workerExit', (e) => exits.push(e));
  await pool.close();
  assert.equal(readFileSync(file, 'utf8'), `bye ${pid}\n`);
  assert.deepEqual(
    exits.map((e) => [e.expected, e.exitCode, e.signal]),
    [[true, 0, null]],
  );
});

test(
  'close({ grace }) forces what is left past grace: those tasks reject with ERR_POOL_DESTROYED, close resolves { clean: false }',
  T,
  async (t) => {
    const b = await beacon();
    t.after(() => b.close());
    const pool = new Pool({ worker: tasks, runtime: 'process', maxWorkers: 1, killGrace: 300 });
    const hung = pool.run('spin', [b.path]).catch((e) => e);
    const queued = pool.run('echo', [1]).catch((e) => e);
    await b.seen('started');
    const closing = pool.close({ grace: '100ms' });
    assert.equal(pool.state, 'closing');
    assert.deepEqual(await within(closing, 10_000, 'close'), { clean: false });
    assert.equal(pool.state, 'closed');
    assert.equal((await hung).code, 'ERR_POOL_DESTROYED');
    assert.equal((await queued).code, 'ERR_POOL_DESTROYED');
    assert.deepEqual(childPids(), []);
  },
);

test('destroy() rejects what is pending, escalates to SIGKILL past killGrace, and is idempotent', T, async (t) => {
  const b = await beacon();
  t.after(() => b.close());
  const pool = new Pool({ worker: tasks, runtime: 'process', maxWorkers: 2, minWorkers: 2, killGrace: 300 });
  await pool.ready();
  const exits = [];
  pool.on('workerExit', (e) => exits.push(e));
  const stubborn = pool.run('spinIgnoringTerm', [b.path]).catch((e) => e);
  await b.seen('started');
  const spinning = pool.run('spin', [b.path]).catch((e) => e);
  await b.seen('started', 2);
  const queued = Promise.allSettled(Array.from({ length: 100 }, (_, i) => pool.run('echo', [i])));
  const d = pool.destroy();
  assert.equal(pool.destroy(), d);
  await within(d, 300 + 5_000, 'destroy');
  assert.equal((await stubborn).code, 'ERR_POOL_DESTROYED');
  assert.equal((await spinning).code, 'ERR_POOL_DESTROYED');
  assert.ok((await queued).every((s) => s.status === 'rejected' && s.reason.code === 'ERR_POOL_DESTROYED'));
  assert.deepEqual(exits.map((e) => e.signal).sort(), ['SIGKILL', 'SIGTERM']);
  assert.deepEqual(childPids(), []);
  assert.deepEqual(await pool.close(), { clean: false }, 'after destroy: resolves with what destroy forced');
});

const spindle = JSON.stringify(new URL('../dist/index.js', import.meta.url).href);

test('an idle pool does not keep the process alive; its workers go with it', T, async () => {
  const code = `
    const { Pool } = await import(${spindle});
    const pool = new Pool({ worker: ${JSON.stringify(tasksPath)}, runtime: 'process', minWorkers: 2, maxWorkers: 2 });
    await pool.ready();
    console.log(JSON.stringify(await Promise.all([pool.run('pid'), pool.run('pid'), pool.run('add', [1, 2])])));
  `;
  const r = await runNode(['--input-type=module', '-e', code], { ms: 15_000 });
  assert.equal(r.code, 0, r.stderr);
  const [a, b, sum] = JSON.parse(r.stdout);
  assert.equal(sum, 3);
  await waitGone([a, b], 5_000);
});

test('await pool.close() at the end of a script runs the code after it', T, async () => {
  const code = `
    const { Pool } = await import(${spindle});
    const pool = new Pool({ worker: ${JSON.stringify(tasksPath)}, runtime: 'process', maxWorkers: 2 });
    await Promise.all([pool.run('add', [1, 2]), pool.run('add', [3, 4])]);
    await pool.close();
    console.log('after close');
  `;
  const r = await runNode(['--input-type=module', '-e', code], { ms: 15_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'after close');
});
