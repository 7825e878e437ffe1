// Fuzzing spindle/exec's options around one harmless program (`true`): any options
// object is accepted and the program runs, or it is refused with ERR_INVALID_OPTION
// naming the option (or a documented code: a cwd that does not exist is
// ERR_EXEC_SPAWN, a shell that does not exist ERR_EXEC_NOT_FOUND, a tiny timeout
// ERR_EXEC_TIMEOUT). Never a crash, a hang, a raw error or a Node warning. With
// `node: true` the program is an empty Node script instead. runSync takes the same
// options (minus what needs the event loop, refused by name).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { $, run, runSync, spawn } from 'spindle/exec';
import { acceptedOrCoded, anyValue, check, fc, noWarnings, optionsOf } from './helpers/fuzz.js';

const T = { timeout: 60_000 };
const TRUE = ['/bin/true', '/usr/bin/true'].find((p) => existsSync(p));
const NOOP = fileURLToPath(new URL('./fixtures/exec/noop.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'spindle-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const inFile = join(dir, 'in');
writeFileSync(inFile, 'input');
const outFile = join(dir, 'out');

/** The program for these options: `true`, or with `node: true` an empty Node script. */
function program(o) {
  try {
    return o?.node === true ? NOOP : TRUE;
  } catch {
    return TRUE; // a Proxy that throws: refused before anything runs
  }
}
/** What a run of `true` may end with besides success, and why. */
const RUN_CODES = [
  'ERR_INVALID_OPTION',
  'ERR_EXEC_SPAWN', // cwd: a URL or path that does not exist
  'ERR_EXEC_NOT_FOUND', // shell: a string that names no shell
  'ERR_EXEC_TIMEOUT', // timeout: 0.5 (ms)
];

/** Values that make sense for each option: a fuzzed options object mixes them with anything at all. */
const SENSIBLE = {
  cwd: [tmpdir(), pathToFileURL(tmpdir()), pathToFileURL(tmpdir()).href, '.'],
  env: [{ SPINDLE_FUZZ: '1' }, { PATH: undefined }, {}],
  extendEnv: [true, false],
  input: ['text', Buffer.from('bytes'), '', { file: inFile }, { file: pathToFileURL(inFile) }],
  timeout: [0, Number.POSITIVE_INFINITY, '2s', 5000, 2 ** 31 - 1],
  signal: [new AbortController().signal],
  killSignal: ['SIGTERM', 'SIGKILL', 'SIGINT', 9],
  killGrace: [0, '1s', 2 ** 31 - 1],
  maxBuffer: [1, 1024, Number.POSITIVE_INFINITY],
  encoding: ['utf8', 'buffer', 'latin1', 'hex'],
  stripFinalNewline: [true, false],
  stdio: ['pipe', 'ignore', 'inherit', ['pipe', 'ignore', 'pipe']],
  stdin: ['pipe', 'ignore'],
  stdout: ['pipe', 'ignore', 'inherit', { file: outFile }, { file: outFile, append: true }],
  stderr: ['pipe', 'ignore', 'inherit', { file: outFile }],
  shell: [true, false, '/bin/sh'],
  detached: [true, false],
  killTree: [true, false],
  reject: [true, false],
  buffer: [true, false, 'auto'],
  uid: [process.getuid()],
  gid: [process.getgid()],
  argv0: ['renamed'],
  windowsHide: [true, false],
  preferLocal: [true, false, tmpdir(), pathToFileURL(tmpdir())],
  all: [true, false],
  lines: [true, false],
  // 'short' and 'full' write to stderr: exec-verbose.test.js covers them; here, quiet loggers
  verbose: [false, () => {}, (e) => e.type],
  node: [true, false],
  nodePath: [process.execPath],
  nodeOptions: [[], ['--no-warnings']],
  ipc: [true, false],
  serialization: ['advanced', 'json'],
};
const NAMES = Object.keys(SENSIBLE);
const valueFor = (name) =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...SENSIBLE[name]) }, { weight: 1, arbitrary: anyValue() });
/** A few options (so that a run often gets through), or every option at once, or an unknown name. */
const options = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .subarray(NAMES, { maxLength: 4 })
      .chain((names) => fc.record(Object.fromEntries(names.map((n) => [n, valueFor(n)])))),
  },
  { weight: 1, arbitrary: optionsOf(NAMES, fc.oneof(...NAMES.map(valueFor))) },
);

const seen = { ran: 0, refused: 0 };

async function runs(fn) {
  const r = await acceptedOrCoded(fn, { codes: RUN_CODES, ms: 10_000 });
  outcome(r);
}

function outcome(r) {
  seen[r.ok ? 'ran' : 'refused']++;
  if (r.ok && r.value.failed) assert.ok(RUN_CODES.includes(r.value.error.code), String(r.value.error));
  else if (r.ok) assert.equal(r.value.exitCode, 0);
}

test('fuzz: run() options around `true`', T, async () => {
  await noWarnings(() =>
    check(
      fc.asyncProperty(options, (o) => runs(() => run(program(o), [], o))),
      { numRuns: 100 },
    ),
  );
  assert.ok(seen.ran > 10, `the program ran often enough to test anything (${JSON.stringify(seen)})`);
});

test('fuzz: spawn() and $ options; whole options values of any kind', T, async () => {
  await noWarnings(() =>
    check(
      fc.asyncProperty(options, anyValue(), async (o, whole) => {
        await runs(() => spawn(program(o), o));
        await runs(() => $(o)`${program(o)}`);
        await runs(() => run(TRUE, [], whole));
        await runs(() => run(TRUE, whole));
      }),
      { numRuns: 40 },
    ),
  );
});

test('fuzz: runSync() options around `true`', T, async () => {
  const codes = [...RUN_CODES];
  await noWarnings(() =>
    check(
      fc.asyncProperty(options, async (o) => {
        let r;
        try {
          r = { ok: true, value: runSync(program(o), [], o) };
        } catch (error) {
          r = await acceptedOrCoded(
            () => {
              throw error;
            },
            { codes },
          );
        }
        outcome(r);
      }),
      { numRuns: 60 },
    ),
  );
});

test('fuzz: template values, with and without a shell', T, async () => {
  await noWarnings(() =>
    check(
      fc.asyncProperty(anyValue(), fc.boolean(), async (value, shell) => {
        const r = await acceptedOrCoded(() => $({ shell })`printf %s ${value}`, {
          codes: ['ERR_INVALID_OPTION', 'ERR_EXEC_SHELL_QUOTING'],
        });
        if (r.ok) assert.equal(r.value.exitCode, 0);
      }),
      { numRuns: 60 },
    ),
  );
});

test('fuzz: the handle methods (kill, lines, readable, writable, write, end, pipe) with any argument', T, async () => {
  await noWarnings(() =>
    check(
      fc.asyncProperty(anyValue(), async (value) => {
        const p = spawn('cat');
        for (const call of [
          () => p.kill(value),
          () => p.lines(value),
          () => p.readable(value),
          () => p.write(value),
          () => p.pipe(value),
          () => p.send(value),
          () => p.messages(),
          () => p.disconnect(),
          () => {
            p.end(value); // returns the (awaitable) handle: its result is not what is tested here
          },
        ]) {
          await acceptedOrCoded(call);
        }
        p.kill('SIGKILL');
        await p.catch(() => {});
      }),
      { numRuns: 30 },
    ),
  );
});
