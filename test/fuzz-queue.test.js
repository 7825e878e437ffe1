// Fuzz: JobQueue options and add() options, memory and Redis stores. Any
// value is accepted and the queue works (a job runs to its result), or is
// refused with ERR_INVALID_OPTION naming the option (or a documented code);
// never a crash, a hang, a raw error or a Node warning.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool } from '../dist/index.js';
import { JobQueue, work } from '../dist/queue/index.js';
import { parseDuration } from '../dist/util/duration.js';
import { acceptedOrCoded, anyValue, check, fc, noWarnings, optionsOf, RUNS } from './helpers/fuzz.js';
import { startRedis } from './helpers/redis.js';
import { fixture, within } from './helpers.js';

const tasks = fixture('queue/tasks.js');

const durationLike = fc.oneof(
  fc.integer({ min: -5, max: 2 ** 32 }),
  fc.constantFrom('1s', '250ms', '0', '0ms', '1.5m', '25d', '24d', ' 2s ', '1e3', -1, 0, 50, 100, 2 ** 31 - 1, 2 ** 31),
);
const backoffLike = fc.oneof(
  durationLike,
  fc.record(
    {
      type: fc.constantFrom('fixed', 'exponential', 'linear', 1, undefined),
      delay: fc.oneof(durationLike, anyValue()),
      jitter: fc.oneof(fc.double({ min: -1, max: 2 }), anyValue()),
    },
    { requiredKeys: [] },
  ),
);
/** A value for any option: hostile as often as not. */
const value = fc.oneof(anyValue(), durationLike, backoffLike, fc.integer({ min: -3, max: 1e10 }));
/** Mostly a good value, now and then anything. */
const mostly = (good) => fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: value, weight: 1 });
/** An options object: each known key present or not, now and then an unknown key. */
function optionsWith(spec) {
  return fc
    .tuple(
      fc.record(spec, { requiredKeys: [] }),
      fc.oneof({ arbitrary: fc.constant(null), weight: 7 }, { arbitrary: fc.string({ maxLength: 8 }), weight: 1 }),
    )
    .map(([o, extra]) => (extra === null || extra in o ? o : { ...o, [extra]: 1 }));
}
const keepRule = fc.record(
  {
    count: fc.oneof(fc.integer({ min: -1, max: 5 }), fc.constant(Number.POSITIVE_INFINITY), anyValue()),
    age: fc.oneof(durationLike, fc.constant(Number.POSITIVE_INFINITY)),
  },
  { requiredKeys: [] },
);
const keepLike = optionsWith({ completed: mostly(keepRule), failed: mostly(keepRule) });
const limiterLike = fc.record(
  { max: fc.oneof(fc.integer({ min: -1, max: 5 }), anyValue()), duration: durationLike },
  { requiredKeys: [] },
);
const groupLike = fc.oneof(fc.constantFrom('g1', 'g2', 'tenant-42', 'a:b', ''), fc.string({ maxLength: 6 }));
const jobSpec = {
  attempts: mostly(fc.integer({ min: 1, max: 3 })),
  backoff: mostly(
    fc.constantFrom(0, 10, '10ms', { type: 'exponential', delay: '1ms', jitter: 0.5 }, { type: 'fixed', delay: 0 }),
  ),
  priority: mostly(fc.integer({ min: -10, max: 10 })),
};
const jobOptions = optionsWith(jobSpec);
const addOptions = fc.oneof(
  {
    arbitrary: optionsWith({
      ...jobSpec,
      delay: mostly(fc.constantFrom(0, '0ms', 1, '5ms', 20)),
      jobId: mostly(fc.string({ minLength: 1, maxLength: 12 })),
      group: mostly(groupLike),
      keep: mostly(keepLike),
    }),
    weight: 5,
  },
  { arbitrary: anyValue(), weight: 1 },
);
const queueOptions = optionsWith({
  concurrency: mostly(fc.integer({ min: 1, max: 8 })),
  lockDuration: mostly(fc.constantFrom(100, '1s', '5s', 2 ** 31 - 1)),
  stalledInterval: mostly(fc.constantFrom(50, '1s', '2.5s')),
  maxStalledCount: mostly(fc.integer({ min: 0, max: 5 })),
  grace: mostly(fc.constantFrom(0, '1s', Number.POSITIVE_INFINITY, '10s')),
  addTimeout: mostly(fc.constantFrom('1s', '10s', 10_000)),
  defaultJobOptions: mostly(jobOptions),
  keep: mostly(optionsWith({ completed: mostly(keepRule), failed: mostly(keepRule), jobIds: mostly(durationLike) })),
  limiter: mostly(limiterLike),
  groupConcurrency: mostly(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(Number.POSITIVE_INFINITY))),
  groupLimiter: mostly(limiterLike),
});

/** The job runs about now (no delay, or a short one) when add() accepted these options. */
function runsNow(options) {
  try {
    return options?.delay === undefined || parseDuration('d', options.delay) <= 50;
  } catch {
    return false;
  }
}

const seenIds = new Set();

/** Accepted options must give a working queue: a job added to it completes. */
async function exercise(queue, { runs, jobOptions: opts }) {
  // Redis: a tiny addTimeout may run out while the queue connects, which is what it is for
  const added = await acceptedOrCoded(() => queue.add('add', [1, 2], opts), {
    codes: ['ERR_INVALID_OPTION', 'ERR_QUEUE_UNREACHABLE'],
  });
  // a jobId seen before returns that job, which may have been added with a long delay
  // (accepted options can be read: a Proxy would have been refused)
  const id = added.ok ? opts?.jobId : undefined;
  const fresh = id === undefined || !seenIds.has(id);
  if (id !== undefined) seenIds.add(id);
  if (!added.ok || !runs || !fresh || !runsNow(opts)) return;
  // a job kept for less than a second may be gone before result() is called (documented)
  if (opts?.keep !== undefined || queue.keepsBriefly) {
    await acceptedOrCoded(() => within(added.value.result(), 5000, 'result'), { codes: ['ERR_QUEUE_JOB_REMOVED'] });
    return;
  }
  assert.equal(await within(added.value.result(), 5000, 'result'), 3);
}

test('fuzz: memory store, new JobQueue() and add() options', { timeout: 60_000 }, async (t) => {
  const pool = new Pool({ worker: tasks, maxWorkers: 1 });
  t.after(() => pool.destroy());
  await pool.taskNames();
  await check(
    fc.asyncProperty(
      queueOptions,
      mostly(fc.constant('fz')),
      mostly(fc.constantFrom('memory', undefined)),
      addOptions,
      async (options, name, store, add) => {
        await noWarnings(async () => {
          const made = await acceptedOrCoded(() => new JobQueue({ ...options, name, pool, store }));
          if (!made.ok) return;
          const queue = made.value;
          queue.keepsBriefly = options?.keep !== undefined;
          try {
            await exercise(queue, { runs: true, jobOptions: add });
          } finally {
            await within(queue.destroy(), 5000, 'destroy');
          }
          assert.equal(queue.state, 'closed');
        });
      },
    ),
    { numRuns: RUNS },
  );
});

test('fuzz: close() options and add() names', { timeout: 60_000 }, async (t) => {
  const pool = new Pool({ worker: tasks, maxWorkers: 1 });
  t.after(() => pool.destroy());
  await check(
    fc.asyncProperty(
      fc.oneof(anyValue(), optionsOf(['grace'], value)),
      fc.oneof(fc.string(), anyValue()),
      async (close, name) => {
        await noWarnings(async () => {
          const queue = new JobQueue({ name: 'fz', pool });
          try {
            await acceptedOrCoded(() => queue.add(name, [1, 2]), {
              codes: ['ERR_INVALID_OPTION', 'ERR_TASK_NOT_FOUND'],
            });
            const closed = await acceptedOrCoded(() => queue.close(close));
            if (closed.ok) assert.equal(typeof closed.value.clean, 'boolean');
            else assert.equal(queue.state, 'running', 'refused options start nothing');
          } finally {
            await queue.destroy();
          }
        });
      },
    ),
    { numRuns: RUNS },
  );
});

test('fuzz: Redis store, new JobQueue() options (node and producer) and add() options', {
  timeout: 120_000,
}, async (t) => {
  const redis = await startRedis(t);
  // a node that runs every job the producers add
  const node = await work({ tasks, queue: 'fz', redis: redis.url, workers: 1 });
  redis.cleanup(() => node.close());
  const producer = new JobQueue({ name: 'fz', store: { redis: redis.url } });
  redis.cleanup(() => producer.close());
  const pool = new Pool({ worker: tasks, maxWorkers: 1 });
  redis.cleanup(() => pool.destroy());
  const redisLike = fc.oneof(
    { arbitrary: fc.constant(redis.url), weight: 4 },
    fc.constantFrom(`${redis.url}/1`, `redis://:pw@127.0.0.1:${redis.port}/x`, 'http://127.0.0.1', 'redis://a b'),
    anyValue(),
  );
  // constructions: each opens Redis connections, so fewer runs
  await check(
    fc.asyncProperty(queueOptions, fc.boolean(), redisLike, async (options, withPool, url) => {
      await noWarnings(async () => {
        const made = await acceptedOrCoded(
          () => new JobQueue({ ...options, name: 'fz', store: { redis: url }, ...(withPool ? { pool } : {}) }),
        );
        if (!made.ok) return;
        const queue = made.value;
        queue.keepsBriefly = options?.keep !== undefined;
        // a bad password or db still refuses nothing here: that is Redis's answer, not an option
        queue.on('error', () => {});
        try {
          if (url === redis.url) await exercise(queue, { runs: true });
        } finally {
          await within(queue.destroy(), 15_000, 'destroy');
        }
      });
    }),
    { numRuns: Math.max(10, Math.round(RUNS / 4)) },
  );
  // add() options on one producer: cheap, so the full count
  await check(
    fc.asyncProperty(addOptions, async (add) => {
      await noWarnings(() => exercise(producer, { runs: true, jobOptions: add }));
    }),
    { numRuns: RUNS },
  );
});

const stateLike = fc.oneof(
  fc.constantFrom('waiting', 'paused', 'delayed', 'active', 'completed', 'failed', 'removed', 'wait'),
  anyValue(),
);

test('fuzz: schedule() keys and options, jobs(), clean() and removeWaiting() options (memory store)', {
  timeout: 60_000,
}, async (t) => {
  const pool = new Pool({ worker: tasks, maxWorkers: 1 });
  t.after(() => pool.destroy());
  const queue = new JobQueue({ name: 'fz', pool });
  t.after(() => queue.destroy());
  await pool.taskNames();
  const cronLike = fc.oneof(
    fc.constantFrom('* * * * *', '0 3 * * *', '*/5 * * * * *', '@daily', '61 * * * *', '* * *', '0 0 30 2 *', ''),
    fc.string({ maxLength: 12 }),
    anyValue(),
  );
  const scheduleOptions = optionsWith({
    cron: mostly(cronLike),
    tz: mostly(fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Mars/Olympus', '')),
    every: mostly(durationLike),
    ...jobSpec,
    keep: mostly(keepLike),
  });
  await check(
    fc.asyncProperty(
      mostly(fc.constantFrom('k1', 'k2')),
      fc.oneof(scheduleOptions, anyValue()),
      async (key, options) => {
        await noWarnings(async () => {
          const made = await acceptedOrCoded(() => queue.schedule(key, 'add', [1, 2], options));
          if (!made.ok) return;
          const listed = await queue.schedules();
          assert.ok(listed.some((s) => s.key === key && s.next !== null));
          assert.equal(await queue.unschedule(key), true);
        });
      },
    ),
    { numRuns: RUNS },
  );
  await check(
    fc.asyncProperty(
      fc.oneof(optionsWith({ state: stateLike, limit: value, offset: value }), anyValue()),
      fc.oneof(optionsWith({ state: stateLike, olderThan: durationLike, limit: value }), anyValue()),
      fc.oneof(optionsOf(['delayed'], anyValue()), anyValue()),
      async (jobs, clean, removeWaiting) => {
        await noWarnings(async () => {
          const listed = await acceptedOrCoded(() => queue.jobs(jobs));
          if (listed.ok) assert.ok(Array.isArray(listed.value));
          const cleaned = await acceptedOrCoded(() => queue.clean(clean));
          if (cleaned.ok) assert.equal(typeof cleaned.value, 'number');
          await acceptedOrCoded(() => queue.removeWaiting(removeWaiting));
        });
      },
    ),
    { numRuns: RUNS },
  );
});
