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
  assert.throws(
    () => p.write('late'),
    (e) => e.code === 'ERR_INVALID_OPTION' && e.option === 'stdin',
  );
});

test('write() waits for the pipe to drain instead of buffering without bound', T, async () => {
  const p = spawn('cat');
  const big = Buffer.alloc(1024 * 1024, 0x61);
  let drained = 0;
  const reader = (async () => {
    for await (const chunk of p.stdout) drained += chunk.length;
  })();
  for (let i = 0; i < 8; i++) await p.write(big);
  p.end();
  await reader;
  await p;
  assert.equal(drained, 8 * 1024 * 1024);
});

test('write() to a program that already exited resolves; the result tells what happened', T, async () => {
  const p = spawn('sh', ['-c', 'exit 0']);
  await once(p.stdout, 'end');
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
  p.stdout.setEncoding('utf8');
  p.stdout.on('data', (c) => (text += c));
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
  assert.equal(p.stdin, null);
  assert.throws(
    () => p.write('x'),
    (e) => e.code === 'ERR_INVALID_OPTION',
  );
  await p;
});
