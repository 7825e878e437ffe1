// Property tests (issue 11): supervise() options, the Supervisor's calls, and
// the flags of `spindle start` / `spindle work` (their in-process option
// parsing, not a process per case). Any value is accepted and works, or is
// refused with ERR_INVALID_OPTION / ERR_CLI_USAGE naming the option or flag
// (exit code 2 for the CLI): never a raw error, a crash, a hang or a warning.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { exitCodeOf, redactText } from '../dist/cli/command.js';
import { startOptions } from '../dist/cli/start.js';
import { REDIS_ENV, workOptions } from '../dist/cli/work.js';
import { normalize } from '../dist/cluster/options.js';
import { MAX_DURATION } from '../dist/util/duration.js';
import { fixtures } from './helpers/cli.js';
import { acceptedOrCoded, anyValue, check, fc, noWarnings, optionsOf } from './helpers/fuzz.js';
import { freePort } from './helpers/load.js';

const app = join(fixtures, 'app.mjs');
const SUPERVISE = [
  'args',
  'workers',
  'execArgv',
  'env',
  'extendEnv',
  'cwd',
  'grace',
  'killGrace',
  'readyTimeout',
  'waitReady',
  'probe',
  'sticky',
  'heartbeat',
  'maxMemory',
  'restart',
  'name',
  'logPrefix',
  'logFormat',
  'logTime',
  'logger',
  'serialization',
];

/** Values shaped like what each option wants, mixed with anything at all. */
const plausible = fc.oneof(
  anyValue(),
  fc.constantFrom('10s', '0ms', '100ms', '24d', 'auto', 4, 1024, 1025, 'ip', 'header:x-id', 'cookie:sid', '/health'),
  fc.constantFrom('api', 'my.app-2', '..', 'a/b', 'x'.repeat(65), 'json', 'text', 'yaml'),
  fc.record({ timeout: anyValue(), interval: anyValue(), path: anyValue() }, { requiredKeys: [] }),
  fc.record(
    { minDelay: anyValue(), maxDelay: anyValue(), stableAfter: anyValue(), maxCrashes: anyValue() },
    { requiredKeys: [] },
  ),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string(), fc.constant(undefined), fc.integer())),
);

function settingsAreSane(s) {
  assert.ok(Number.isInteger(s.workers) && s.workers >= 1 && s.workers <= 1024, `workers ${s.workers}`);
  for (const [name, ms] of Object.entries({
    grace: s.grace,
    killGrace: s.killGrace,
    readyTimeout: s.readyTimeout,
    minDelay: s.restart.minDelay,
    maxDelay: s.restart.maxDelay,
    stableAfter: s.restart.stableAfter,
    heartbeat: s.heartbeat?.timeout ?? 0,
    probe: s.probe?.timeout ?? 0,
  })) {
    assert.ok(Number.isFinite(ms) && ms >= 0 && ms <= MAX_DURATION, `${name} ${ms}`);
  }
  if (s.heartbeat) assert.ok(s.heartbeat.interval > 0 && s.heartbeat.interval < s.heartbeat.timeout);
  assert.ok(Array.isArray(s.args) && s.args.every((a) => typeof a === 'string' && !a.includes('\0')));
  assert.equal(typeof s.log, 'function');
  assert.ok(s.name === undefined || /^[A-Za-z0-9._-]{1,64}$/.test(s.name), `name ${s.name}`);
  assert.ok(['text', 'json'].includes(s.logFormat) && typeof s.logTime === 'boolean');
  assert.equal(s.pipe, s.name !== undefined || s.logPrefix || s.logTime || s.logFormat === 'json');
}

test('supervise() options: any value is accepted and sane, or refused naming the option', async () => {
  await noWarnings(() =>
    check(
      fc.asyncProperty(
        optionsOf(SUPERVISE, plausible),
        fc.constantFrom(app, 'missing.mjs', new URL(`file://${app}`)),
        async (options, script) => {
          const r = await acceptedOrCoded(() => normalize({ script, logger: false, ...options }), {
            codes: ['ERR_INVALID_OPTION', 'ERR_CLUSTER_SCRIPT_NOT_FOUND', 'ERR_CLUSTER_TS_LOADER'],
            ms: 2000,
          });
          if (r.ok) settingsAreSane(r.value);
          // env values are never shown: they may be secrets
          if (!r.ok && r.error.option?.startsWith('env.')) assert.doesNotMatch(r.error.message, /got "|got \d/);
        },
      ),
    ),
  );
  // A value nobody can read is refused, not thrown raw.
  const trap = new Proxy(
    {},
    {
      ownKeys() {
        throw new Error('trap');
      },
    },
  );
  for (const bad of [trap, { script: app, env: trap }, { script: app, restart: trap }]) {
    await acceptedOrCoded(() => normalize(bad), { ms: 1000 });
  }
});

test('a running Supervisor: send/request ids and close() options, any value', { timeout: 60_000 }, async () => {
  const { supervise } = await import('spindle/cluster');
  const port = await freePort();
  const sup = await supervise({ script: app, workers: 1, env: { PORT: String(port) }, logger: false });
  try {
    await noWarnings(() =>
      check(
        fc.asyncProperty(anyValue(), async (id) => {
          await acceptedOrCoded(() => sup.send(id, 'set', 1), {
            codes: ['ERR_INVALID_OPTION', 'ERR_CLUSTER_PEER_GONE'],
          });
          await acceptedOrCoded(() => sup.send(1, id, 1), { codes: ['ERR_INVALID_OPTION'] });
          await acceptedOrCoded(() => sup.broadcast(id, 1), { codes: ['ERR_INVALID_OPTION'] });
          await acceptedOrCoded(() => sup.request(id, 'whoami', null, { timeout: '2s' }), {
            codes: ['ERR_INVALID_OPTION', 'ERR_CLUSTER_PEER_GONE'],
          });
          await acceptedOrCoded(() => sup.request(1, 'whoami', null, { timeout: id }), {
            codes: ['ERR_INVALID_OPTION', 'ERR_CLUSTER_REQUEST_TIMEOUT'],
          });
        }),
        { numRuns: 50 },
      ),
    );
    let closed;
    await check(
      fc.asyncProperty(fc.oneof(anyValue(), fc.record({ grace: anyValue() }, { requiredKeys: [] })), async (o) => {
        const r = await acceptedOrCoded(() => sup.close(o), { ms: 20_000 });
        if (r.ok) closed ??= r.value;
        if (r.ok) assert.deepEqual(r.value, closed, 'every later close() resolves the first result');
      }),
      { numRuns: 50 },
    );
  } finally {
    await sup.destroy();
  }
  assert.equal(sup.state, 'closed');
});

const START_FLAGS = [
  '--workers',
  '-w',
  '--grace',
  '--kill-grace',
  '--ready-timeout',
  '--wait-ready',
  '--probe',
  '--sticky',
  '--heartbeat',
  '--max-memory',
  '--max-crashes',
  '--log-prefix',
  '--allow-orphan',
  '--name',
  '-n',
  '--log-format',
  '--log-time',
  '--watch',
  '--watch=src,lib',
  '--kill-timeout',
  '--bogus',
  '-x',
  '--',
  '--help',
];
const WORK_FLAGS = [
  '--queue',
  '-q',
  '--redis',
  '-r',
  '--workers',
  '-w',
  '--runtime',
  '--grace',
  '--lock-duration',
  '--stalled-interval',
  '--allow-orphan',
  '--bogus',
  '--',
];
const flagValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('10s', '0', '10', '1.5m', '600h', '25d', 'auto', '0', '1', '4', '1025', '-1', '5', '512M', 'lots'),
  fc.constantFrom('ip', 'header:x-id', 'cookie:', '/health', 'health', 'thread', 'process', 'fiber', 'q'),
  fc.constantFrom('json', 'text', 'api', 'a b', '..'),
  fc.constantFrom('redis://127.0.0.1:6379', 'redis://:PW-SECRET-9@h:1', 'http://u:PW-SECRET-9@h', 'PW-SECRET-9'),
);
const argvOf = (flags, first) =>
  fc
    .tuple(first, fc.array(fc.oneof(fc.constantFrom(...flags), flagValue), { maxLength: 10 }))
    .map(([a, rest]) => [...a, ...rest]);

/**
 * A refusal is a usage error (exit code 2) naming the flag, and what the CLI
 * prints (printError redacts every URL) shows no password: one in a URL never,
 * a bare one only if it was typed as a plain argument (the unit tests check
 * that a bare secret in --redis or $SPINDLE_REDIS_URL is not shown either).
 */
function refusedAsUsage(r, argv) {
  assert.equal(exitCodeOf(r.error), 2, `exit code 2 for ${r.error.code}`);
  if (r.error.code === 'ERR_INVALID_OPTION')
    assert.match(r.error.option, /^(--[a-z-]+|\$SPINDLE_REDIS_URL)$/, 'names the flag');
  if (!argv.includes('PW-SECRET-9'))
    assert.doesNotMatch(redactText(r.error.message), /PW-SECRET-9/, 'a password is never printed');
}

test('spindle start flags: accepted and accepted by supervise() too, or a usage error naming the flag', async () => {
  await noWarnings(() =>
    check(
      fc.asyncProperty(argvOf(START_FLAGS, fc.constantFrom([app], [], ['--grace', '1s', app])), async (argv) => {
        const r = await acceptedOrCoded(() => startOptions(argv), { codes: ['ERR_CLI_USAGE', 'ERR_INVALID_OPTION'] });
        if (!r.ok) return refusedAsUsage(r, argv);
        if (r.value === undefined) return; // --help
        assert.equal(typeof r.value.allowOrphan, 'boolean');
        // What the CLI accepted, the library accepts: one validation path.
        const settings = await acceptedOrCoded(() => normalize({ ...r.value.options, logger: false }), {
          codes: ['ERR_CLUSTER_SCRIPT_NOT_FOUND'],
        });
        if (settings.ok) settingsAreSane(settings.value);
      }),
    ),
  );
});

test('spindle work flags and $SPINDLE_REDIS_URL: accepted, or a usage error naming the flag, no password', async () => {
  const tasks = join(fixtures, '..', 'queue', 'tasks.js');
  await noWarnings(() =>
    check(
      fc.asyncProperty(
        argvOf(WORK_FLAGS, fc.constantFrom([tasks, '-q', 'jobs'], [tasks], [])),
        fc.option(flagValue),
        async (argv, fromEnv) => {
          const env = fromEnv === null ? {} : { [REDIS_ENV]: fromEnv };
          const r = await acceptedOrCoded(() => workOptions(argv, env), {
            codes: ['ERR_CLI_USAGE', 'ERR_INVALID_OPTION'],
          });
          if (!r.ok) return refusedAsUsage(r, argv);
          if (r.value === undefined) return;
          const o = r.value.options;
          assert.match(o.redis, /^rediss?:\/\/\S+$/);
          assert.ok(o.workers === 'auto' || (Number.isInteger(o.workers) && o.workers >= 1 && o.workers <= 1024));
          assert.ok(['thread', 'process'].includes(o.runtime));
          for (const d of [o.grace, o.lockDuration, o.stalledInterval])
            assert.ok(d === undefined || (d >= 0 && d <= MAX_DURATION));
        },
      ),
    ),
  );
});
