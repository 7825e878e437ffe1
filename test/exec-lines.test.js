import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawn } from 'spindle/exec';

const T = { timeout: 20_000 };
const chunker = fileURLToPath(new URL('./fixtures/exec/chunks.js', import.meta.url));

/** Starts the fixture that writes `chunks` as separate writes, acking each read so none merge. */
function chunked(chunks, options) {
  const arg = chunks.map((c) => Buffer.from(c).toString('base64')).join(',');
  const p = spawn(process.execPath, [chunker, arg], options);
  let seen = 0;
  p.readable().on('data', () => {
    if (++seen < chunks.length) p.write('k');
  });
  return p;
}

/** Splits a buffer into pieces of `size` bytes. */
function pieces(buf, size) {
  const out = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

async function collect(iter) {
  const out = [];
  for await (const l of iter) out.push(l);
  return out;
}

test('lines are split correctly across chunk boundaries and inside multi-byte characters', T, async () => {
  const text = 'héllo wörld 😀\nsecond ✓ line\n\nπ≈3.14159\nno newline at the end 日本';
  const bytes = Buffer.from(text);
  for (const size of [1, 2, 3, 5]) {
    const p = chunked(pieces(bytes, size));
    assert.deepEqual(await collect(p.lines()), text.split('\n'), `pieces of ${size} bytes`);
  }
});

test('CRLF line endings lose the CR, even when \\r and \\n arrive in different chunks', T, async () => {
  const p = chunked(['one\r', '\ntwo\r\n', 'thr', 'ee\r\n']);
  assert.deepEqual(await collect(p.lines()), ['one', 'two', 'three']);
});

test('a 4-byte emoji split over three chunks is decoded once, not as replacement characters', T, async () => {
  const e = Buffer.from('a😀b\n');
  const p = chunked([e.subarray(0, 2), e.subarray(2, 4), e.subarray(4)]);
  assert.deepEqual(await collect(p.lines()), ['a😀b']);
});

test("lines({ from: 'all' }) interleaves stdout and stderr in arrival order", T, async () => {
  // Each line waits for the previous one to be read (the ack on stdin), so arrival order is known.
  const script = 'echo o1; read a; echo e1 >&2; read a; echo o2; read a; echo e2 >&2; read a';
  const p = spawn('sh', ['-c', script]);
  const got = [];
  for await (const l of p.lines({ from: 'all' })) {
    got.push(l);
    await p.write('\n');
  }
  assert.deepEqual(got, ['o1', 'e1', 'o2', 'e2']);
});

test("lines({ from: 'stderr' }) reads stderr only; stdout is still kept for the result", T, async () => {
  const p = spawn('sh', ['-c', 'echo out; echo err1 >&2; echo err2 >&2']);
  assert.deepEqual(await collect(p.lines({ from: 'stderr' })), ['err1', 'err2']);
  const r = await p;
  assert.equal(r.stdout, 'out');
  assert.equal(r.stderr, '');
});

test('a large output read line by line keeps every line in order (backpressure)', T, async () => {
  const p = spawn('seq', ['1', '200000']);
  let expected = 1;
  for await (const l of p.lines()) {
    assert.equal(Number(l), expected);
    expected++;
    if (expected % 50_000 === 0) await new Promise((r) => setImmediate(r)); // a slow consumer
  }
  assert.equal(expected, 200_001);
});

test('output not yet read when the program exits is kept however slow the reader is', T, async () => {
  // 1,500 lines of 100 bytes fit in the pipe, so the program exits with most of them unread.
  const p = spawn('sh', ['-c', 'head -c 148500 /dev/zero | tr "\\0" x | fold -w 99; exec 2>&-']);
  const it = p.lines();
  assert.equal((await it.next()).value.length, 99);
  await new Promise((resolve) => p.readable({ from: 'stderr' }).once('close', resolve)); // the program is gone now
  await new Promise((resolve) => setTimeout(resolve, 600)); // a slow reader, far past the drain's idle time
  let n = 1;
  for await (const l of it) {
    assert.equal(l.length, 99);
    n++;
  }
  assert.equal(n, 1500);
});

test('break stops reading, lets the program finish and the result still settles', T, async () => {
  const p = spawn('seq', ['1', '300000']);
  for await (const l of p.lines()) {
    if (l === '10') break;
  }
  const r = await p;
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout, '');
});

test('lines() of a stream that is not piped is refused', T, async () => {
  const p = spawn('true', { stdout: 'ignore' });
  assert.throws(
    () => p.lines(),
    (e) => e.code === 'ERR_INVALID_OPTION',
  );
  assert.throws(
    () => p.lines({ from: 'all' }),
    (e) => e.code === 'ERR_INVALID_OPTION' && e.option === 'from',
  );
  await p;
});

test('lines of a failing command end with its coded error', T, async () => {
  const p = spawn('sh', ['-c', 'echo a; echo b; exit 7']);
  const got = [];
  await assert.rejects(
    (async () => {
      for await (const l of p.lines()) got.push(l);
    })(),
    (e) => e.code === 'ERR_EXEC_EXIT' && e.exitCode === 7,
  );
  assert.deepEqual(got, ['a', 'b']);
});

test('lines with reject: false end quietly and the result carries the failure', T, async () => {
  const p = spawn('sh', ['-c', 'echo a; exit 7'], { reject: false });
  assert.deepEqual(await collect(p.lines()), ['a']);
  const r = await p;
  assert.equal(r.failed, true);
  assert.equal(r.error.code, 'ERR_EXEC_EXIT');
});
