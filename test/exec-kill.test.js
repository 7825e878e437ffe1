import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run, spawn } from 'spindle/exec';
import { alive, groupMembers, hasProc, killGroup, waitUntil } from './fixtures/exec/procs.js';

const T = { timeout: 30_000 };

test('timeout with a grandchild holding the pipe settles within grace, and kills the grandchild', T, async (t) => {
  const killGrace = 2000;
  const started = Date.now();
  const p = spawn('sh', ['-c', 'sleep 30; true'], { timeout: 300, killGrace });
  t.after(() => killGroup(p.pid));
  const err = await p.catch((e) => e);
  const elapsed = Date.now() - started;
  assert.equal(err.code, 'ERR_EXEC_TIMEOUT');
  assert.equal(err.timedOut, true);
  assert.equal(err.exitCode, null);
  assert.ok(elapsed < 300 + killGrace + 5000, `settled after ${elapsed} ms`);
  if (hasProc) await waitUntil(() => groupMembers(p.pid).length === 0, 5000, 'the process group to be gone');
});

test('a grandchild left holding stdout after a normal exit cannot hang the result', T, async (t) => {
  const p = spawn('sh', ['-c', 'sleep 30 & echo done']);
  t.after(() => killGroup(p.pid));
  const r = await p;
  assert.equal(r.stdout, 'done');
  assert.equal(r.exitCode, 0);
});

test('a child that ignores SIGTERM gets SIGKILL after killGrace, and the error says so', T, async () => {
  const p = spawn('sh', ['-c', 'trap "" TERM; echo ready; while :; do sleep 1; done'], {
    timeout: 200,
    killGrace: 300,
  });
  const err = await p.catch((e) => e);
  assert.equal(err.code, 'ERR_EXEC_TIMEOUT');
  assert.equal(err.forceKilled, true);
  assert.equal(err.signal, 'SIGKILL');
  assert.match(err.message, /force-killed with SIGKILL/);
  assert.equal(err.stdout, 'ready');
  if (hasProc) await waitUntil(() => groupMembers(p.pid).length === 0, 5000, 'the process group to be gone');
});

test('killGrace: 0 sends SIGKILL at once', T, async () => {
  const err = await run('sh', ['-c', 'trap "" TERM; sleep 30'], { timeout: 100, killGrace: 0 }).catch((e) => e);
  assert.equal(err.code, 'ERR_EXEC_TIMEOUT');
  assert.equal(err.signal, 'SIGKILL');
});

test('output past maxBuffer: the child is killed, coded error, the kept prefix is on the error', T, async () => {
  const err = await run('yes', ['abc'], { maxBuffer: 100_001 }).catch((e) => e);
  assert.equal(err.code, 'ERR_EXEC_MAX_BUFFER');
  assert.equal(err.isMaxBuffer, true);
  assert.equal(err.stdout.length, 100_001);
  assert.ok(err.stdout.startsWith('abc\nabc\n'));
  assert.match(err.message, /stdout exceeded maxBuffer \(100001 bytes\)/);
  const errB = await run('sh', ['-c', 'yes e >&2'], { maxBuffer: 10, encoding: 'buffer' }).catch((e) => e);
  assert.equal(errB.code, 'ERR_EXEC_MAX_BUFFER');
  assert.deepEqual(errB.stderr, Buffer.from('e\ne\ne\ne\ne\n'));
  assert.match(errB.message, /stderr exceeded/);
});

test('maxBuffer never cuts a multi-byte character in half', T, async () => {
  // 'é' is 2 bytes: a limit of 5 bytes keeps "éé" and drops the half of the third.
  const err = await run('printf', ['ééééé'], { maxBuffer: 5 }).catch((e) => e);
  assert.equal(err.code, 'ERR_EXEC_MAX_BUFFER');
  assert.equal(err.stdout, 'éé');
});

test('maxBuffer is bounded by default (100 MiB), and only for what is kept', T, async () => {
  // Streaming the output through lines() does not count against maxBuffer.
  const p = spawn('sh', ['-c', 'head -c 3000000 /dev/zero | tr "\\0" "x" | fold -w 100'], { maxBuffer: 1000 });
  let n = 0;
  for await (const line of p.lines()) if (line.length === 100) n++;
  assert.equal(n, 30_000);
  assert.equal((await p).stdout, '');
});

test('abort before spawn: nothing starts, ERR_EXEC_ABORTED with the reason as cause', T, async () => {
  const ac = new AbortController();
  ac.abort(new Error('user left'));
  const q = spawn('sleep', ['30'], { signal: ac.signal });
  assert.equal(q.pid, undefined);
  const err = await q.catch((e) => e);
  assert.equal(err.code, 'ERR_EXEC_ABORTED');
  assert.equal(err.isCanceled, true);
  assert.equal(err.cause.message, 'user left');
  assert.match(err.message, /never started/);
  await assert.rejects(run('sleep', ['30'], { signal: ac.signal }), (e) => e.code === 'ERR_EXEC_ABORTED');
});

test('abort after spawn kills the process group', T, async (t) => {
  const ac = new AbortController();
  const p = spawn('sh', ['-c', 'sleep 30 & echo $!; wait'], { signal: ac.signal });
  t.after(() => killGroup(p.pid));
  const it = p.lines();
  const grandchild = Number((await it.next()).value);
  ac.abort();
  await assert.rejects(p, (e) => e.code === 'ERR_EXEC_ABORTED' && e.isCanceled && e.signal === 'SIGTERM');
  if (hasProc) await waitUntil(() => !alive(grandchild), 5000, 'the grandchild to die');
});

test('an abort listener is not left on a long-lived signal', T, async () => {
  const ac = new AbortController();
  let added = 0;
  let removed = 0;
  const add = ac.signal.addEventListener.bind(ac.signal);
  const remove = ac.signal.removeEventListener.bind(ac.signal);
  ac.signal.addEventListener = (...a) => {
    added++;
    add(...a);
  };
  ac.signal.removeEventListener = (...a) => {
    removed++;
    remove(...a);
  };
  for (let i = 0; i < 3; i++) await run('true', { signal: ac.signal });
  assert.equal(added, 3);
  assert.equal(removed, 3);
});

test('kill() terminates gracefully; kill(signal) only sends that signal', T, async () => {
  const p = spawn('sh', ['-c', 'trap "echo got-usr1" USR1; echo ready; while :; do sleep 0.05; done']);
  const it = p.lines();
  assert.equal((await it.next()).value, 'ready');
  assert.equal(p.kill('SIGUSR1'), true);
  assert.equal((await it.next()).value, 'got-usr1');
  assert.equal(p.kill(), true);
  const err = await p.catch((e) => e);
  assert.equal(err.code, 'ERR_EXEC_SIGNAL');
  assert.equal(err.signal, 'SIGTERM');
  assert.equal(p.kill(), false, 'already gone');
});

test('Symbol.asyncDispose (await using) terminates a running command', T, async () => {
  const p = spawn('sleep', ['30']);
  assert.ok(!hasProc || alive(p.pid));
  await p[Symbol.asyncDispose]();
  if (hasProc) await waitUntil(() => !alive(p.pid), 5000, 'sleep to be gone');
  await assert.rejects(p, (e) => e.code === 'ERR_EXEC_SIGNAL' && e.signal === 'SIGTERM');
});

test('detached: true still leads its own group', T, async (t) => {
  const p = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  t.after(() => killGroup(p.pid));
  if (hasProc) assert.deepEqual(groupMembers(p.pid), [p.pid]);
  process.kill(-p.pid, 'SIGTERM');
  await assert.rejects(p, (e) => e.code === 'ERR_EXEC_SIGNAL' && e.signal === 'SIGTERM');
});
