// spindle/exec's options follow the shared vocabulary (docs/conventions.md):
// durations through the one parser (issue 11, item 11: nothing past what Node's
// timers can wait, never a silent 1 ms), unknown names refused, env merged and its
// values never shown, cwd a path or a file: URL.
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { $, run, spawn } from 'spindle/exec';

const T = { timeout: 20_000 };
const node = process.execPath;
const DAY = 86_400_000;
const invalid = (option) => (e) => e.code === 'ERR_INVALID_OPTION' && e.option === option;

/** Collects the process warnings (TimeoutOverflowWarning…) emitted while `fn` runs. */
async function warningsDuring(fn) {
  const seen = [];
  const onWarning = (w) => seen.push(w.name);
  process.on('warning', onWarning);
  try {
    await fn();
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

test('a timeout of 30 days is refused, not turned into 1 ms (regression)', T, async () => {
  const warnings = await warningsDuring(async () => {
    const err = await run('sleep', ['0.2'], { timeout: 30 * DAY }).catch((e) => e);
    assert.ok(invalid('timeout')(err), `refused up front, got ${err?.code}: ${err?.message}`);
    assert.match(err.message, /at most 2147483647 ms/);
    assert.match(err.message, /Infinity for never/);
    await assert.rejects(run('sleep', ['0.2'], { timeout: '30d' }), invalid('timeout'));
    assert.throws(() => spawn('sleep', ['0.2'], { killGrace: 2 ** 31 }), invalid('killGrace'));
    assert.throws(() => $({ killGrace: '25d' }), invalid('killGrace'));
  });
  assert.deepEqual(warnings, [], 'no TimeoutOverflowWarning');
});

test('timeout 0 and Infinity mean no timeout; neither fires early nor warns (regression)', T, async () => {
  const warnings = await warningsDuring(async () => {
    for (const timeout of [0, Number.POSITIVE_INFINITY, 2 ** 31 - 1, '24d']) {
      const r = await run('sleep', ['0.1'], { timeout });
      assert.equal(r.timedOut, false, `timeout: ${timeout}`);
      assert.equal(r.exitCode, 0);
    }
  });
  assert.deepEqual(warnings, [], 'no TimeoutOverflowWarning');
});

test('killGrace at the limit waits: SIGTERM is not followed by an early SIGKILL', T, async () => {
  // The program reports SIGTERM and lives on; with killGrace past the limit it used to be
  // SIGKILLed at once. Proof it still lives: it echoes a line we send after the SIGTERM.
  const p = spawn(
    node,
    [
      '-e',
      "process.on('SIGTERM', () => console.log('term')); process.stdin.on('data', (d) => console.log(String(d).trim())); console.log('ready')",
    ],
    { killGrace: 2 ** 31 - 1 },
  );
  const lines = p.lines();
  assert.deepEqual(await lines.next(), { value: 'ready', done: false });
  assert.equal(p.kill(), true);
  assert.deepEqual(await lines.next(), { value: 'term', done: false });
  await p.write('still here\n');
  assert.deepEqual(await lines.next(), { value: 'still here', done: false });
  p.kill('SIGKILL');
  const err = await p.catch((e) => e);
  assert.equal(err.signal, 'SIGKILL');
  assert.equal(err.forceKilled, false, 'we sent SIGKILL ourselves, spindle did not force it');
});

test('durations accept strings; results report milliseconds as numbers', T, async () => {
  const err = await run('sleep', ['5'], { timeout: '100ms', killGrace: '1s' }).catch((e) => e);
  assert.equal(err.code, 'ERR_EXEC_TIMEOUT');
  assert.match(err.message, /timed out after 100 ms/);
  assert.equal(typeof err.durationMs, 'number');
  assert.equal(typeof (await run('true')).durationMs, 'number');
});

test('unknown option names are refused, naming them (regression: a typo meant no timeout)', T, async () => {
  await assert.rejects(
    run('sleep', ['0'], { timout: 5 }),
    (e) => invalid('timout')(e) && /Unknown option/.test(e.message),
  );
  assert.throws(() => spawn('true', { killgrace: 1 }), invalid('killgrace'));
  assert.throws(() => $({ cwdd: '/' }), invalid('cwdd'));
  const cat = spawn('cat');
  assert.throws(() => cat.lines({ form: 'stderr' }), invalid('form'));
  await cat.end();
});

test('env values never appear in an error; NUL bytes are refused before Node sees them', T, async () => {
  const secret = 'hunter2-s3cr3t';
  for (const env of [{ TOKEN: 12345678 }, { TOKEN: `${secret}\0` }, { TOKEN: [secret] }]) {
    const err = await run('true', { env }).catch((e) => e);
    assert.ok(invalid('env.TOKEN')(err), `${err?.code} ${err?.option}`);
    for (const text of [err.message, String(err.stack), JSON.stringify(err)]) {
      assert.ok(!text.includes(secret) && !text.includes('12345678'), text);
    }
  }
  await assert.rejects(run('true', { env: { 'A\0B': 'x' } }), invalid('env'));
});

test('env merges over process.env; extendEnv: false starts empty; undefined removes', T, async () => {
  process.env.SPINDLE_EXEC_OPT = 'parent';
  try {
    const script = 'console.log(JSON.stringify([process.env.SPINDLE_EXEC_OPT ?? null, process.env.MINE ?? null]))';
    const merged = await run(node, ['-e', script], { env: { MINE: 'm' } });
    assert.deepEqual(JSON.parse(merged.stdout), ['parent', 'm']);
    const removed = await run(node, ['-e', script], { env: { SPINDLE_EXEC_OPT: undefined } });
    assert.deepEqual(JSON.parse(removed.stdout), [null, null]);
    const empty = await run(node, ['-e', script], { extendEnv: false });
    assert.deepEqual(JSON.parse(empty.stdout), [null, null]);
  } finally {
    delete process.env.SPINDLE_EXEC_OPT;
  }
});

test('cwd: a path, a file: URL, or a file: URL string', T, async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'spindle-exec-')));
  for (const cwd of [dir, pathToFileURL(dir), pathToFileURL(dir).href]) {
    assert.equal((await run('pwd', { cwd })).stdout, dir, String(cwd));
  }
  await assert.rejects(run('pwd', { cwd: new URL('https://example.com/') }), invalid('cwd'));
  await assert.rejects(run('pwd', { cwd: 'a\0b' }), invalid('cwd'));
  const missing = await run('pwd', { cwd: join(dir, 'missing'), reject: false });
  assert.equal(missing.error.code, 'ERR_EXEC_SPAWN');
});

test('signals are checked: killSignal and kill(signal) refuse names and numbers the platform lacks', T, async () => {
  await assert.rejects(run('true', { killSignal: 'SIGNOPE' }), invalid('killSignal'));
  await assert.rejects(run('true', { killSignal: 4096 }), invalid('killSignal'));
  const p = spawn('sleep', ['5']);
  assert.throws(() => p.kill('SIGTREM'), invalid('signal'));
  assert.equal(p.kill('SIGKILL'), true);
  assert.equal((await p.catch((e) => e)).signal, 'SIGKILL');
});
