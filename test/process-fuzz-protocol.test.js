// The line protocol (docs/protocol.md) fed arbitrary lines by a foreign
// worker, mid-life (issue 11): the task that was running settles (with a value
// or an error, a coded one when the worker broke the protocol), the worker is
// stopped and replaced when it broke the protocol, the pool keeps serving, and
// nothing else is affected: no crash, no hang, no Node warning, no uncoded
// 'error' event, a thread pool next to it untouched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Pool } from 'spindle';
import { check, fc, noWarnings, RUNS } from './helpers/fuzz.js';
import { fixture, within } from './helpers.js';

const lineWorker = fileURLToPath(fixture('process/line-worker.js'));

/** Names that a plain-object lookup would find on Object.prototype. */
const nastyName = fc.constantFrom(
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'Error',
  'TypeError',
  'WorkerCrashedError',
  'PoolClosedError',
  '',
);
const jsonish = fc.oneof(
  fc.json({ maxDepth: 2 }).map((j) => JSON.parse(j)),
  nastyName,
  fc.constant(null),
);
const errorRecord = fc.oneof(
  jsonish,
  fc.record(
    {
      name: fc.oneof(nastyName, jsonish),
      message: fc.oneof(fc.string(), jsonish),
      code: fc.oneof(jsonish, fc.constantFrom('ERR_WORKER_CRASHED', 'ERR_TASK_TIMEOUT')),
      stack: fc.oneof(fc.string(), jsonish),
      __proto__: jsonish,
      constructor: jsonish,
    },
    { requiredKeys: [] },
  ),
);
/** `"$ID"` in a message becomes the running task's id, as a number, in the worker. */
const ID = '__ID__';
const message = fc
  .record(
    {
      type: fc.oneof(fc.constantFrom('ready', 'result', 'error', 'task', 'abort', 'Result', ''), jsonish),
      id: fc.oneof(fc.constant(ID), fc.integer({ min: -2, max: 10_000 }), fc.double(), fc.string(), jsonish),
      value: jsonish,
      error: errorRecord,
      tasks: fc.oneof(fc.constant(['add']), fc.array(fc.oneof(fc.string(), nastyName), { maxLength: 3 }), jsonish),
    },
    { requiredKeys: ['type'] },
  )
  .map((m) => JSON.stringify(m).replaceAll(`"${ID}"`, '$ID'));
const line = fc.oneof(
  message,
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.json({ maxDepth: 2 }),
  fc.constantFrom('', ' ', '\r', '{', '}', 'null', '[]', '{"type":"result"}', '{"type":"error"}', '\u2028', 'a\uD800b'),
);

test('fuzz: a foreign worker writing arbitrary lines fails with a coded error; the pool keeps serving', {
  timeout: 120_000,
}, async () => {
  const bystander = new Pool({ worker: fixture('pool/tasks.js'), maxWorkers: 1 });
  const pool = new Pool({ command: [process.execPath, lineWorker], maxWorkers: 1, killGrace: 200 });
  const errors = [];
  pool.on('error', (e) => errors.push(e));
  try {
    await noWarnings(() =>
      check(
        fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 5 }), async (lines) => {
          const said = await within(
            pool.run('say', [lines]).then(
              (value) => ({ value }),
              (error) => ({ error }),
            ),
            10_000,
            'the task that was running when the worker wrote the lines',
          );
          if (said.error !== undefined) {
            assert.ok(said.error instanceof Error, `rejected with a non-Error: ${String(said.error)}`);
            if (typeof said.error.code === 'string' && said.error.code.startsWith('ERR_WORKER')) {
              assert.equal(said.error.code, 'ERR_WORKER_CRASHED', said.error.message);
              assert.equal(said.error.reason, 'protocol', said.error.message);
              assert.equal(said.error.cause?.code, 'ERR_WORKER_PROTOCOL');
            }
          }
          const sums = await within(
            Promise.all([pool.run('add', [1, 2]), pool.run('add', [2, 2]), pool.run('add', [3, 2])]),
            10_000,
            'the pool serving afterwards',
          );
          assert.deepEqual(sums, [3, 4, 5]);
        }),
        { numRuns: Math.ceil(RUNS * 0.2) },
      ),
    );
    for (const e of errors) assert.equal(typeof e.code, 'string', `an uncoded 'error' event: ${e}`);
    assert.equal(await bystander.run('add', [1, 2]), 3, 'a pool next to it is untouched');
    assert.equal(pool.state, 'running');
  } finally {
    await pool.destroy();
    await bystander.destroy();
  }
});

test("a foreign error named like an Object.prototype member ('toString', '__proto__') is an Error, not a crash", {
  timeout: 30_000,
}, async () => {
  const pool = new Pool({ command: [process.execPath, lineWorker], maxWorkers: 1 });
  const exits = [];
  pool.on('workerExit', (e) => exits.push(e));
  try {
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      const line = `{"type":"error","id":$ID,"error":{"name":${JSON.stringify(name)},"message":"m"}}`;
      const e = await within(pool.run('sayOnly', [[line]]), 10_000, name).catch((err) => err);
      assert.ok(e instanceof Error, `${name}: ${e}`);
      assert.equal(e.name, name);
      assert.equal(e.message, 'm');
    }
    assert.equal(await pool.run('add', [1, 2]), 3);
    assert.deepEqual(exits, [], 'the worker kept serving');
  } finally {
    await pool.destroy();
  }
});
