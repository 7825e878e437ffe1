import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawn } from 'spindle/exec';

const T = { timeout: 20_000 };

test('a.pipe(b) feeds stdout into stdin; awaiting b gives its result with pipedFrom', T, async () => {
  const a = spawn('printf', ['b\\na\\nc\\n']);
  const b = spawn('sort');
  assert.equal(a.pipe(b), b);
  const r = await b;
  assert.equal(r.stdout, 'a\nb\nc');
  assert.equal(r.pipedFrom.exitCode, 0);
  assert.equal(r.pipedFrom.command, "printf 'b\\na\\nc\\n'");
});

test('pipes chain: a.pipe(b).pipe(c), and large data flows through', T, async () => {
  const r = await spawn('seq', ['1', '100000'])
    .pipe(spawn('gzip', ['-c']))
    .pipe(spawn('gzip', ['-dc']));
  assert.equal(r.stdout.split('\n').length, 100_000);
  assert.equal(r.pipedFrom.pipedFrom.exitCode, 0);
});

test('a failure upstream rejects the pipeline with that error', T, async () => {
  const a = spawn('sh', ['-c', 'echo partial; echo broken >&2; exit 3']);
  const b = spawn('cat');
  const err = await a.pipe(b).catch((e) => e);
  assert.equal(err.code, 'ERR_EXEC_EXIT');
  assert.equal(err.exitCode, 3);
  assert.match(err.message, /broken/);
  const missing = await spawn('spindle-no-such-program')
    .pipe(spawn('cat'))
    .catch((e) => e);
  assert.equal(missing.code, 'ERR_EXEC_NOT_FOUND');
});

test('a failure downstream rejects with that error and the upstream result attached', T, async () => {
  const err = await spawn('echo', ['x'])
    .pipe(spawn('sh', ['-c', 'cat >/dev/null; exit 5']))
    .catch((e) => e);
  assert.equal(err.code, 'ERR_EXEC_EXIT');
  assert.equal(err.exitCode, 5);
  assert.equal(err.pipedFrom.exitCode, 0);
});

test('downstream exiting early (like head) ends an endless upstream without an error', T, async () => {
  const a = spawn('yes');
  const r = await a.pipe(spawn('head', ['-n', '2']));
  assert.equal(r.stdout, 'y\ny');
  assert.equal(r.pipedFrom.failed, false); // SIGPIPE or an EPIPE/ECONNRESET exit: both are the pipeline's end
  assert.ok(r.pipedFrom.signal === 'SIGPIPE' || r.pipedFrom.exitCode !== 0);
});

test('a timeout on either side kills it and is reported', T, async () => {
  const err = await spawn('sleep', ['30'], { timeout: 100 })
    .pipe(spawn('cat'))
    .catch((e) => e);
  assert.equal(err.code, 'ERR_EXEC_TIMEOUT');
  const err2 = await spawn('yes')
    .pipe(spawn('sh', ['-c', 'sleep 30'], { timeout: 100 }))
    .catch((e) => e);
  assert.equal(err2.code, 'ERR_EXEC_TIMEOUT');
});

test('pipe refuses a target that is not a process or is fed already', T, async () => {
  const a = spawn('echo', ['x']);
  assert.throws(
    () => a.pipe('cat'),
    (e) => e.code === 'ERR_INVALID_OPTION',
  );
  const b = spawn('cat');
  a.pipe(b);
  assert.throws(
    () => spawn('echo').pipe(b),
    (e) => e.code === 'ERR_INVALID_OPTION',
  );
  await b;
});
