// runSync: run()'s result, errors, timeout and process-group kill, blocking the caller.
import assert from 'node:assert/strict';
import { spawn as cpSpawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { $, ExecExitError, ExecTimeoutError, run, runSync, sh } from 'spindle/exec';
import { alive, groupMembers, hasProc, waitUntil } from './fixtures/exec/procs.js';

const T = { timeout: 30_000 };
const parentFixture = fileURLToPath(new URL('./fixtures/exec/sync-parent.js', import.meta.url));

/** The fields that do not depend on timing or the pid. */
function comparable(r) {
  const { durationMs, pid, error, ...rest } = r;
  return { ...rest, error: error && { code: error.code, name: error.name, message: error.message } };
}

test('runSync gives the same result as run, blocking', T, async () => {
  const cmd = ['sh', ['-c', 'echo out; echo err >&2']];
  assert.deepEqual(comparable(runSync(...cmd)), comparable(await run(...cmd)));
  const opts = { all: true, lines: true, env: { X: 'x' }, cwd: tmpdir() };
  assert.deepEqual(comparable(runSync(...cmd, opts)), comparable(await run(...cmd, opts)));
  const failing = ['sh', ['-c', 'echo bad >&2; exit 7'], { reject: false }];
  assert.deepEqual(comparable(runSync(...failing)), comparable(await run(...failing)));
  let order = 'before';
  setImmediate(() => {
    order = 'after';
  });
  runSync('true');
  assert.equal(order, 'before', 'nothing else ran while it blocked');
});

test('runSync throws the coded error, as its class, with every field', T, () => {
  assert.throws(
    () => runSync('sh', ['-c', 'echo partial; echo boom >&2; exit 3']),
    (e) => {
      assert.ok(e instanceof ExecExitError);
      assert.equal(e.code, 'ERR_EXEC_EXIT');
      assert.equal(e.name, 'ExecExitError');
      assert.equal(e.exitCode, 3);
      assert.equal(e.stdout, 'partial');
      assert.equal(e.stderr, 'boom');
      assert.match(e.message, /exit code 3[\s\S]*boom/);
      assert.equal(e.failed, true);
      return true;
    },
  );
  assert.throws(() => runSync('no-such-program-spindle'), { code: 'ERR_EXEC_NOT_FOUND' });
  const r = runSync('no-such-program-spindle', { reject: false });
  assert.equal(r.failed, true);
  assert.equal(r.error.code, 'ERR_EXEC_NOT_FOUND');
  assert.equal(r.error.cause.code, 'ENOENT');
});

test('runSync timeout kills the whole process group: a grandchild holding the pipe cannot hang it', T, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spindle-sync-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pids = join(dir, 'pids');
  assert.throws(
    () => runSync('sh', ['-c', `sleep 1000 & echo $$ $! > ${pids}; wait`], { timeout: 300, killGrace: 200 }),
    (e) => {
      assert.ok(e instanceof ExecTimeoutError);
      assert.equal(e.timedOut, true);
      return true;
    },
  );
  if (hasProc) {
    const [shell, sleeper] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    assert.equal(alive(sleeper), false, 'the grandchild was killed with its group');
    assert.deepEqual(groupMembers(shell), []);
  }
});

test('runSync: buffers, input (text, bytes, file), output to a file, $.sync and sh.sync', T, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spindle-sync-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const b = runSync('printf', ['\\377\\000'], { encoding: 'buffer' });
  assert.ok(Buffer.isBuffer(b.stdout));
  assert.deepEqual([...b.stdout], [0xff, 0]);
  assert.throws(
    () => runSync('sh', ['-c', 'printf "\\377"; exit 1'], { encoding: 'buffer' }),
    (e) => {
      assert.ok(Buffer.isBuffer(e.stdout));
      return true;
    },
  );
  assert.equal(runSync('cat', { input: 'text' }).stdout, 'text');
  assert.equal(runSync('cat', { input: new Uint8Array([104, 105]) }).stdout, 'hi');
  writeFileSync(join(dir, 'in'), 'file in');
  assert.equal(runSync('cat', { input: { file: join(dir, 'in') } }).stdout, 'file in');
  runSync('echo', ['to file'], { stdout: { file: join(dir, 'out') } });
  assert.equal(readFileSync(join(dir, 'out'), 'utf8'), 'to file\n');
  assert.equal($.sync`echo ${'one arg'}`.stdout, 'one arg');
  assert.equal($({ cwd: dir }).sync`cat in`.stdout, 'file in');
  assert.equal($({ shell: true }).sync`echo ${'a;b'} | tr ';' -`.stdout, 'a-b');
  assert.equal(sh.sync`echo x`.stdout, 'x');
  // the environment as it is now, not as it was when the helper thread started
  process.env.SPINDLE_SYNC_TEST = 'now';
  t.after(() => delete process.env.SPINDLE_SYNC_TEST);
  assert.equal(runSync('sh', ['-c', 'echo $SPINDLE_SYNC_TEST']).stdout, 'now');
});

test('runSync refuses what needs an event loop, with ERR_INVALID_OPTION naming it', T, () => {
  const cases = [
    [{ signal: new AbortController().signal }, 'signal'],
    [{ input: Readable.from(['x']) }, 'input'],
    [{ stdin: Readable.from(['x']) }, 'stdin'],
    [{ stdout: new Writable({ write: (_c, _e, cb) => cb() }) }, 'stdout'],
    [{ ipc: true }, 'ipc'],
    [{ timout: 5 }, 'timout'],
    [{ timeout: -1 }, 'timeout'],
  ];
  for (const [options, option] of cases) {
    assert.throws(() => runSync('cat', options), { code: 'ERR_INVALID_OPTION', option });
  }
  assert.throws(() => $.sync('not a template'), { code: 'ERR_INVALID_OPTION' });
  // process.stdout has a descriptor: it is fine
  assert.equal(runSync('true', { stdout: process.stderr }).exitCode, 0);
});

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGKILL']) {
  test(`a parent blocked in runSync and killed by ${signal} takes its command and the command's children`, {
    ...T,
    skip: !hasProc && 'needs /proc',
  }, async (t) => {
    const parent = cpSpawn(process.execPath, [parentFixture], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(parent, 'exit');
    let out = '';
    parent.stdout.on('data', (c) => {
      out += c;
    });
    await waitUntil(() => out.includes('\n'), 15_000, 'the command to report its pids');
    const [shell, sleeper] = out.trim().split(' ').map(Number);
    t.after(() => {
      for (const pid of [shell, sleeper]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    });
    assert.ok(alive(shell) && alive(sleeper));
    parent.kill(signal);
    const [, sig] = await exited;
    assert.equal(sig, signal, 'the parent died by the signal, as it would have without spindle');
    await waitUntil(() => !alive(shell) && !alive(sleeper), 10_000, 'the command and its child to die');
  });
}

test('a command that ignores SIGTERM is SIGKILLed after killGrace once the blocked parent died', {
  ...T,
  skip: !hasProc && 'needs /proc',
}, async (t) => {
  const parent = cpSpawn(process.execPath, [parentFixture, 'ignore-term'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  parent.stdout.on('data', (c) => {
    out += c;
  });
  await waitUntil(() => out.includes('\n'), 15_000, 'the command to report its pids');
  const [shell, sleeper] = out.trim().split(' ').map(Number);
  t.after(() => {
    for (const pid of [shell, sleeper]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  });
  parent.kill('SIGTERM');
  await once(parent, 'exit');
  await waitUntil(() => !alive(shell) && !alive(sleeper), 10_000, 'the command to be force-killed');
});
