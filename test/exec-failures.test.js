import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SpindleError } from 'spindle';
import { ExecError, ExecExitError, ExecNotFoundError, run, spawn } from 'spindle/exec';

const T = { timeout: 20_000 };

test('missing program: ERR_EXEC_NOT_FOUND naming the command and the PATH searched, no raw ENOENT', T, async () => {
  const err = await run('spindle-no-such-program', ['x'], { env: { PATH: '/nowhere/a:/nowhere/b' } }).catch((e) => e);
  assert.ok(err instanceof ExecNotFoundError);
  assert.ok(err instanceof ExecError);
  assert.ok(err instanceof SpindleError);
  assert.equal(err.code, 'ERR_EXEC_NOT_FOUND');
  assert.equal(err.exitCode, null);
  assert.equal(err.pid, undefined);
  assert.match(err.message, /spindle-no-such-program/);
  assert.match(err.message, /\/nowhere\/a:\/nowhere\/b/);
  assert.equal(err.cause?.code, 'ENOENT');
  assert.equal(err.stdout, '');
});

test('missing program given as a path says so; spawn() reports it through the handle', T, async () => {
  const err = await run('./no/such/tool').catch((e) => e);
  assert.equal(err.code, 'ERR_EXEC_NOT_FOUND');
  assert.match(err.message, /no\/such\/tool: no such file/);
  const p = spawn('spindle-no-such-program');
  assert.equal(p.pid, undefined);
  const lines = [];
  await assert.rejects(
    (async () => {
      for await (const l of p.lines()) lines.push(l);
    })(),
    (e) => e.code === 'ERR_EXEC_NOT_FOUND',
  );
  assert.deepEqual(lines, []);
  await assert.rejects(p, (e) => e.code === 'ERR_EXEC_NOT_FOUND');
  await p.write('ignored'); // never started: writing is a no-op, the result tells why
});

test('a missing cwd is ERR_EXEC_SPAWN, not blamed on the program', T, async () => {
  const err = await run('echo', { cwd: '/no/such/dir' }).catch((e) => e);
  assert.equal(err.code, 'ERR_EXEC_SPAWN');
  assert.match(err.message, /working directory/);
});

test('a file that is not executable is ERR_EXEC_SPAWN (permission denied)', T, async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'spindle-exec-')), 'tool');
  writeFileSync(file, '#!/bin/sh\necho hi\n');
  chmodSync(file, 0o644);
  const err = await run(file).catch((e) => e);
  assert.ok(err.code === 'ERR_EXEC_SPAWN' || process.getuid?.() === 0, err.message);
  if (err.code) assert.match(err.message, /permission denied/);
});

test(
  'non-zero exit: ERR_EXEC_EXIT with the code, the last stderr lines in the message, full output on the error',
  T,
  async () => {
    const script = 'for i in $(seq 1 30); do echo "err $i" >&2; done; echo out; exit 3';
    const err = await run('sh', ['-c', script]).catch((e) => e);
    assert.ok(err instanceof ExecExitError);
    assert.equal(err.code, 'ERR_EXEC_EXIT');
    assert.equal(err.exitCode, 3);
    assert.equal(err.signal, null);
    assert.equal(err.stdout, 'out');
    assert.equal(err.stderr.split('\n').length, 30);
    assert.match(err.message, /exit code 3/);
    assert.match(err.message, /err 30$/);
    assert.match(err.message, /err 21\n/);
    assert.doesNotMatch(err.message, /err 20\n/); // only the last lines
    assert.equal(err.failed, true);
    assert.equal(err.timedOut, false);
  },
);

test('stderr lines make it into the message even when stderr was streamed, not kept', T, async () => {
  const p = spawn('sh', ['-c', 'echo first >&2; echo boom >&2; exit 1']);
  const seen = [];
  await assert.rejects(
    (async () => {
      for await (const l of p.lines({ from: 'stderr' })) seen.push(l);
    })(),
    (e) => e.code === 'ERR_EXEC_EXIT' && /boom/.test(e.message) && e.stderr === '',
  );
  assert.deepEqual(seen, ['first', 'boom']);
});

test('killed by a signal it did not expect: ERR_EXEC_SIGNAL', T, async () => {
  const err = await run('sh', ['-c', 'kill -SEGV $$']).catch((e) => e);
  assert.equal(err.code, 'ERR_EXEC_SIGNAL');
  assert.equal(err.signal, 'SIGSEGV');
  assert.equal(err.exitCode, null);
});
