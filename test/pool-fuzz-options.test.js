// Property tests of every options object of the pool (issue 11): any value
// is accepted and works, or is refused with ERR_INVALID_OPTION naming the
// option (ERR_WORKER_NOT_FOUND for a missing module); never a crash, a hang,
// a raw error or a Node warning. Thread pools, process pools and `command`
// pools; run() and close() options too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Pool } from 'spindle';
import { MyError } from './fixtures/pool/errors.js';
import { acceptedOrCoded, anyValue, check, fc, noWarnings, RUNS } from './helpers/fuzz.js';
import { fixture } from './helpers.js';

const tasks = fixture('pool/tasks.js');
const processTasks = fixture('process/tasks.js');
const setupModule = fixture('pool/setup/setup.js');
const lineWorker = fixture('process/line-worker.js');

/**
 * Per option, any value mixed with plausible ones, so that many generated
 * objects pass validation and the pool must then work. Worker counts leave out
 * 9…1024 (valid, but a pool of hundreds of threads is no unit test; the
 * bounds are tested in pool-hardening.test.js).
 */
const smallCount = anyValue().filter((v) => !(typeof v === 'number' && v > 8 && v <= 1024));
const duration = fc.oneof(anyValue(), fc.integer({ min: 0, max: 3000 }), fc.constantFrom('1s', '250ms', Infinity, 0));
const values = {
  runtime: fc.oneof(anyValue(), fc.constantFrom('thread', 'process')),
  minWorkers: fc.oneof(smallCount, fc.integer({ min: 0, max: 2 })),
  maxWorkers: fc.oneof(smallCount, fc.integer({ min: 1, max: 3 }), fc.constant('auto')),
  idleTimeout: duration,
  maxQueue: fc.oneof(anyValue(), fc.integer({ min: 0, max: 100 }), fc.constant('auto')),
  concurrency: fc.oneof(anyValue(), fc.integer({ min: 1, max: 20 })),
  taskTimeout: duration,
  abortGrace: duration,
  loadTimeout: fc.oneof(anyValue(), fc.constantFrom('10s', 30_000, Infinity)),
  grace: duration,
  resourceLimits: fc.oneof(
    anyValue(),
    fc.record(
      {
        maxOldGenerationSizeMb: fc.oneof(anyValue(), fc.integer({ min: 32, max: 512 })),
        stackSizeMb: fc.oneof(anyValue(), fc.integer({ min: 1, max: 8 })),
      },
      { requiredKeys: [] },
    ),
  ),
  env: fc.oneof(
    anyValue(),
    fc.dictionary(
      fc.constantFrom('SPINDLE_FUZZ', 'A', 'HOME', 'PATH'),
      fc.oneof(fc.string(), fc.constant(undefined), anyValue()),
      {
        maxKeys: 3,
      },
    ),
  ),
  extendEnv: fc.oneof(anyValue(), fc.boolean()),
  execArgv: fc.oneof(
    anyValue(),
    fc.constantFrom([], ['--no-warnings'], ['--max-old-space-size=256'], ['--not-a-flag']),
  ),
  workerData: fc.oneof(
    anyValue(),
    fc.constant(({ workerId }) => ({ workerId })),
    fc.constant(() => {
      throw new Error('no data');
    }),
  ),
  setup: fc.oneof(
    anyValue(),
    fc.constantFrom(setupModule, setupModule.href, fileURLToPath(setupModule), fixture('pool/setup/throws.js')),
  ),
  recycle: fc.oneof(
    anyValue(),
    fc.record(
      {
        afterTasks: fc.oneof(anyValue(), fc.integer({ min: 1, max: 5 })),
        maxHeapMb: fc.oneof(anyValue(), fc.integer({ min: 1, max: 500 })),
      },
      { requiredKeys: [] },
    ),
  ),
  cwd: fc.oneof(anyValue(), fc.constantFrom(process.cwd(), new URL('file:///tmp/'), '/tmp', 'file:///tmp')),
  stdio: fc.oneof(anyValue(), fc.constantFrom('inherit', 'prefix', 'ignore')),
  killGrace: duration,
  errorClasses: fc.oneof(anyValue(), fc.constantFrom([], [MyError], [Error], [MyError, 'x'])),
};

/** Up to four options picked from `names`, each with a value from `values`, now and then an unknown one. */
function options(names) {
  return fc
    .uniqueArray(fc.constantFrom(...names), { maxLength: 4 })
    .chain((keys) => fc.record(Object.fromEntries(keys.map((k) => [k, values[k] ?? anyValue()]))))
    .chain((o) =>
      fc
        .oneof(
          { arbitrary: fc.constant(null), weight: 9 },
          { arbitrary: fc.constantFrom('maxWorker', 'timeout', 'workers', '__proto__'), weight: 1 },
        )
        .map((extra) => (extra === null ? o : { ...o, [extra]: 1 })),
    );
}

/**
 * Outcomes of running a task on an accepted pool that are documented for the
 * options it was given: a module that cannot start under these flags, heap
 * limits or workerData (ERR_WORKER_LOAD), a time limit shorter than the task
 * (ERR_TASK_TIMEOUT). Anything else is a failure.
 */
const RUN_CODES = ['ERR_WORKER_LOAD', 'ERR_TASK_TIMEOUT'];

/** Without a task module (`worker: undefined`) a pool runs inline functions: the same sum, as one. */
const sum = (a, b) => a + b;

/** The property: construct; if accepted, a task runs (or fails as documented) and the pool closes. */
async function constructAndRun(base, o, task = ['add', [1, 2]]) {
  const made = await acceptedOrCoded(() => new Pool({ ...base, ...o }), {
    codes: ['ERR_INVALID_OPTION', 'ERR_WORKER_NOT_FOUND'],
  });
  if (!made.ok) return;
  const pool = made.value;
  pool.on('error', () => {}); // documented: failures tied to no task; not what is checked here
  const call = String(pool).includes('inline functions') ? [sum, [1, 2]] : task;
  try {
    const ran = await acceptedOrCoded(() => pool.run(...call), { codes: RUN_CODES, ms: 20_000 });
    if (ran.ok) assert.equal(ran.value, 3);
    const closed = await acceptedOrCoded(() => pool.close({ grace: '5s' }), { codes: [], ms: 20_000 });
    assert.equal(typeof closed.value.clean, 'boolean');
    assert.equal(pool.state, 'closed');
  } finally {
    await pool.destroy();
  }
}

/**
 * About a third of the generated objects are accepted, and each of those
 * starts a worker: these properties run fewer cases than the default to keep
 * the suite quick (FUZZ_RUNS=1000 for a long session scales them too).
 */
const SPAWNING_RUNS = Math.ceil(RUNS * 0.4);

const moduleNames = Object.keys(values).filter((k) => k !== 'runtime');

test('fuzz: thread pool options', { timeout: 120_000 }, async () => {
  await noWarnings(() =>
    check(
      fc.asyncProperty(options([...moduleNames, 'runtime', 'worker']), (o) =>
        constructAndRun({ worker: tasks, runtime: 'thread' }, o),
      ),
      { numRuns: SPAWNING_RUNS },
    ),
  );
});

test('fuzz: process pool options', { timeout: 120_000 }, async () => {
  await noWarnings(() =>
    check(
      fc.asyncProperty(options(moduleNames), (o) => constructAndRun({ worker: processTasks, runtime: 'process' }, o)),
      { numRuns: Math.ceil(SPAWNING_RUNS / 2) },
    ),
  );
});

test('fuzz: command pool options', { timeout: 120_000 }, async () => {
  const names = moduleNames.filter((k) => !['execArgv', 'workerData', 'resourceLimits', 'setup'].includes(k));
  await noWarnings(() =>
    check(
      fc.asyncProperty(options([...names, 'command', 'runtime']), (o) =>
        constructAndRun({ command: [process.execPath, fileURLToPath(lineWorker)] }, o),
      ),
      { numRuns: Math.ceil(SPAWNING_RUNS / 2) },
    ),
  );
});

test('fuzz: run() and close() options', { timeout: 120_000 }, async () => {
  const pool = new Pool({ worker: tasks, maxWorkers: 1 });
  const runOptions = fc.oneof(
    anyValue(),
    fc.record(
      {
        signal: fc.oneof(anyValue(), fc.constant(new AbortController().signal)),
        timeout: duration,
        transfer: fc.oneof(anyValue(), fc.constant([])),
        priority: fc.oneof(anyValue(), fc.integer({ min: -5, max: 5 })),
        onProgress: fc.oneof(
          anyValue(),
          fc.constant(() => {}),
        ),
      },
      { requiredKeys: [] },
    ),
  );
  await noWarnings(async () => {
    await check(
      fc.asyncProperty(anyValue(), fc.oneof(anyValue(), fc.constant([1, 2])), runOptions, async (name, args, o) => {
        const r = await acceptedOrCoded(() => pool.run(name, args, o), {
          codes: [
            'ERR_INVALID_OPTION',
            'ERR_TASK_NOT_FOUND',
            'ERR_TASK_TIMEOUT',
            'ERR_TASK_NOT_CLONEABLE',
            'ERR_TASK_ABORTED',
          ],
        });
        if (r.ok) assert.equal(typeof name, 'string');
      }),
    );
    // broadcast(): any name, arguments and options; accepted (one outcome per worker) or coded
    const broadcastOptions = fc.oneof(
      anyValue(),
      fc.record(
        {
          signal: fc.oneof(anyValue(), fc.constant(new AbortController().signal)),
          timeout: duration,
          priority: fc.oneof(anyValue(), fc.integer()),
        },
        { requiredKeys: [] },
      ),
    );
    await check(
      fc.asyncProperty(
        fc.oneof(anyValue(), fc.constantFrom('add', sum)),
        fc.oneof(anyValue(), fc.constant([1, 2])),
        broadcastOptions,
        async (name, args, o) => {
          const r = await acceptedOrCoded(() => pool.broadcast(name, args, o), {
            codes: ['ERR_INVALID_OPTION', 'ERR_TASK_NOT_FOUND', 'ERR_TASK_ABORTED'],
          });
          if (!r.ok) return;
          assert.ok(Array.isArray(r.value) && r.value.length >= 1);
          for (const outcome of r.value) {
            assert.equal(typeof outcome.workerId, 'number');
            // a task's own failure (adding a symbol) or a coded one (timeout, abort, arguments that cannot be cloned)
            if (outcome.status === 'rejected') assert.ok(outcome.reason instanceof Error, String(outcome.reason));
          }
        },
      ),
      { numRuns: Math.ceil(RUNS / 2) },
    );
    // close(): refused with ERR_INVALID_OPTION (nothing changes) or it closes
    await check(
      fc.asyncProperty(anyValue(), async (o) => {
        const p = new Pool({ worker: tasks, maxWorkers: 1 });
        const r = await acceptedOrCoded(() => p.close(o));
        assert.equal(p.state, r.ok ? 'closed' : 'running');
        await p.destroy();
      }),
    );
  });
  await pool.destroy();
});
