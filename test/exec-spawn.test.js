import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { ExecProcess, spawn } from 'spindle/exec';

const T = { timeout: 20_000 };

test('spawn returns a handle at once; awaiting it gives the result', T, async () => {
  const p = spawn('sh', ['-c', 'echo hi; echo there >&2']);
  assert.ok(p instanceof ExecProcess);
  assert.equal(typeof p.pid, 'number');
  assert.equal(p.command, "sh -c 'echo hi; echo there >&2'");
  const r = await p;
  assert.equal(r.stdout, 'hi');
  assert.equal(r.stderr, 'there');
  assert.equal(await p.then((x) => x.exitCode), 0, 'awaiting twice gives the same result');
});

test('write() and end() talk to stdin; end() returns the awaitable handle', T, async () => {
  const p = spawn('sort');
  await p.write('b\n');
  await p.write(Buffer.from('c\n'));
  const r = await p.end('a\n');
  assert.equal(r.stdout, 'a\nb\nc');
  await assert.rejects(p.write('late'), (e) => e.code === 'ERR_INVALID_OPTION' && e.option === 'stdin');
});

test('write() waits for the pipe to drain instead of buffering without bound', T, async () => {
  const p = spawn('cat');
  const big = Buffer.alloc(1024 * 1024, 0x61);
  let drained = 0;
  const reader = (async () => {
    for await (const chunk of p.readable()) drained += chunk.length;
  })();
  for (let i = 0; i < 8; i++) await p.write(big);
  p.end();
  await reader;
  await p;
  assert.equal(drained, 8 * 1024 * 1024);
});

test('write() to a program that already exited resolves; the result tells what happened', T, async () => {
  const p = spawn('sh', ['-c', 'exit 0']);
  await once(p.readable(), 'end');
  await p;
  await p.write('nobody reads this');
});

test('awaiting a handle whose stdin you never used closes it, so `cat` finishes', T, async () => {
  const r = await spawn('cat');
  assert.equal(r.stdout, '');
});

test('readable streams: stdout taken by the caller is not kept in the result', T, async () => {
  const p = spawn('sh', ['-c', 'echo streamed; echo kept >&2']);
  let text = '';
  const stdout = p.readable();
  stdout.setEncoding('utf8');
  stdout.on('data', (c) => (text += c));
  const r = await p;
  assert.equal(text, 'streamed\n');
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'kept');
});

test('buffer: true keeps output even while it is streamed; buffer: false never keeps it', T, async () => {
  const p = spawn('echo', ['both'], { buffer: true });
  const lines = [];
  for await (const l of p.lines()) lines.push(l);
  assert.deepEqual(lines, ['both']);
  assert.equal((await p).stdout, 'both');
  assert.equal((await spawn('echo', ['none'], { buffer: false })).stdout, '');
});

test("stdin: 'ignore' or 'inherit' makes write() a usage error, not a silent no-op", T, async () => {
  const p = spawn('true', { stdin: 'ignore' });
  const usage = (e) => e.code === 'ERR_INVALID_OPTION' && e.option === 'stdin';
  await assert.rejects(p.write('x'), usage, 'write() returns a promise, so it rejects');
  assert.throws(() => p.end(), usage);
  assert.throws(() => p.writable(), usage);
  await p;
});

test(
  'taking a stream is a call, not a getter: readable() and writable() (getters have no side effects)',
  T,
  async () => {
    for (const name of ['stdout', 'stderr', 'stdin']) {
      assert.equal(name in spawn('true', { stdio: 'ignore' }), false, `no ${name} getter`);
    }
    const p = spawn('sh', ['-c', 'cat; echo err >&2']);
    const out = p.readable();
    assert.equal(p.readable(), out, 'the same stream every time');
    const w = p.writable();
    let text = '';
    out.setEncoding('utf8').on('data', (c) => (text += c));
    const result = p.then((r) => r); // awaiting does not close a stdin you took
    w.write('written ');
    w.end('later');
    const r = await result;
    assert.equal(text, 'written later');
    assert.equal(r.stdout, '', 'taken over with buffer: auto, so not kept');
    assert.equal(r.stderr, 'err', 'stderr was not taken, so it is kept');
  },
);

test(
  'readable() and writable() refuse what cannot work; a program that never started gives ended streams',
  T,
  async () => {
    const ignored = spawn('true', { stdio: 'ignore' });
    assert.throws(
      () => ignored.readable(),
      (e) => e.code === 'ERR_INVALID_OPTION' && e.option === 'from',
    );
    assert.throws(
      () => ignored.readable({ from: 'all' }),
      (e) => e.code === 'ERR_INVALID_OPTION' && e.option === 'from',
    );
    assert.throws(
      () => ignored.writable(),
      (e) => e.code === 'ERR_INVALID_OPTION' && e.option === 'stdin',
    );
    await ignored;
    const fed = spawn('cat', { input: 'x' });
    assert.throws(
      () => fed.writable(),
      (e) => e.code === 'ERR_INVALID_OPTION' && e.option === 'stdin',
    );
    assert.equal((await fed).stdout, 'x');
    const aborted = spawn('cat', { signal: AbortSignal.abort() });
    const chunks = [];
    for await (const c of aborted.readable({ from: 'stderr' })) chunks.push(c);
    assert.deepEqual(chunks, []);
    aborted.writable().end('nobody reads this');
    await assert.rejects(aborted, (e) => e.code === 'ERR_EXEC_ABORTED');
  },
);
