import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ExecExitError, run } from 'spindle/exec';

const T = { timeout: 20_000 };
const node = process.execPath;

test('run resolves with output, exit code, command and timing', T, async () => {
  const r = await run('sh', ['-c', 'echo out; echo err >&2']);
  assert.equal(r.stdout, 'out');
  assert.equal(r.stderr, 'err');
  assert.equal(r.exitCode, 0);
  assert.equal(r.signal, null);
  assert.equal(r.failed, false);
  assert.equal(r.timedOut, false);
  assert.equal(r.isCanceled, false);
  assert.equal(r.isMaxBuffer, false);
  assert.equal(r.forceKilled, false);
  assert.equal(r.command, "sh -c 'echo out; echo err >&2'");
  assert.deepEqual(r.args, ['-c', 'echo out; echo err >&2']);
  assert.equal(typeof r.pid, 'number');
  assert.ok(r.durationMs > 0);
});

test('run(file, options) without args, and args are passed verbatim (no shell)', T, async () => {
  const r = await run('echo', { env: { X: '1' } });
  assert.equal(r.stdout, '');
  const s = await run('printf', ['%s|', '$HOME', '*', "it's", 'a b']);
  assert.equal(s.stdout, "$HOME|*|it's|a b|");
});

test('stripFinalNewline drops exactly one trailing newline, and can be turned off', T, async () => {
  assert.equal((await run('printf', ['a\n\n'])).stdout, 'a\n');
  assert.equal((await run('printf', ['a\r\n'])).stdout, 'a');
  assert.equal((await run('printf', ['a\n'], { stripFinalNewline: false })).stdout, 'a\n');
});

test("encoding: 'buffer' gives Buffers, other encodings decode", T, async () => {
  const b = await run('printf', ['\\377\\000x'], { encoding: 'buffer' });
  assert.ok(Buffer.isBuffer(b.stdout));
  assert.deepEqual([...b.stdout], [0xff, 0, 0x78]);
  assert.ok(Buffer.isBuffer(b.stderr));
  const h = await run('printf', ['AB'], { encoding: 'hex' });
  assert.equal(h.stdout, '4142');
});

test('input: string, Buffer, Readable, async iterable and web stream reach stdin', T, async () => {
  assert.equal((await run('cat', { input: 'text' })).stdout, 'text');
  assert.equal((await run('cat', { input: Buffer.from([0x68, 0x69]) })).stdout, 'hi');
  assert.equal((await run('cat', { input: Readable.from(['a', 'b', 'c']) })).stdout, 'abc');
  async function* gen() {
    yield 'x';
    yield Buffer.from('y');
  }
  assert.equal((await run('cat', { input: gen() })).stdout, 'xy');
  const web = new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode('web'));
      c.close();
    },
  });
  assert.equal((await run('cat', { input: web })).stdout, 'web');
  assert.equal((await run('cat', { stdin: Readable.from(['via stdin']) })).stdout, 'via stdin');
});

test('without input, stdin is empty so a program reading it cannot hang run()', T, async () => {
  const r = await run('cat');
  assert.equal(r.stdout, '');
});

test('a failing input stream kills the command with ERR_EXEC_STREAM', T, async () => {
  const input = new PassThrough();
  const p = run('cat', { input });
  input.write('partial');
  input.destroy(new Error('disk gone'));
  await assert.rejects(p, (e) => e.code === 'ERR_EXEC_STREAM' && e.cause?.message === 'disk gone');
});

test('env is merged over process.env, replaced with extendEnv: false, undefined removes', T, async () => {
  process.env.SPINDLE_EXEC_PARENT = 'p';
  try {
    const merged = await run('sh', ['-c', 'echo "$SPINDLE_EXEC_PARENT-$MINE"'], { env: { MINE: 'm' } });
    assert.equal(merged.stdout, 'p-m');
    const removed = await run('sh', ['-c', 'echo "[$SPINDLE_EXEC_PARENT]"'], {
      env: { SPINDLE_EXEC_PARENT: undefined },
    });
    assert.equal(removed.stdout, '[]');
    const replaced = await run(
      node,
      ['-p', 'JSON.stringify(Object.keys(process.env).filter(k => k !== "LANG" && k !== "LC_CTYPE"))'],
      {
        env: { ONLY: '1' },
        extendEnv: false,
      },
    );
    assert.deepEqual(JSON.parse(replaced.stdout), ['ONLY']);
  } finally {
    delete process.env.SPINDLE_EXEC_PARENT;
  }
});

test('cwd accepts a path or a file URL', T, async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'spindle-exec-')));
  assert.equal((await run('pwd', { cwd: dir })).stdout, dir);
  assert.equal((await run('pwd', { cwd: pathToFileURL(dir) })).stdout, dir);
});

test('shell is off by default and explicit with shell: true', T, async () => {
  assert.equal((await run('echo', ['$((1+1))'])).stdout, '$((1+1))');
  assert.equal((await run('echo $((1+1))', { shell: true })).stdout, '2');
});

test("stdio pass-through: 'ignore', an fd, and any Writable", T, async () => {
  const ignored = await run('sh', ['-c', 'echo a; echo b >&2'], { stdio: 'ignore' });
  assert.equal(ignored.stdout, '');
  assert.equal(ignored.stderr, '');
  const chunks = [];
  const sink = new Writable({
    write(c, _e, cb) {
      chunks.push(c);
      cb();
    },
  });
  const r = await run('sh', ['-c', 'echo to-sink; echo kept >&2'], { stdout: sink });
  assert.equal(Buffer.concat(chunks).toString(), 'to-sink\n');
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'kept');
  assert.ok(sink.writableFinished, 'the sink was ended before run() resolved');
  const file = join(mkdtempSync(join(tmpdir(), 'spindle-exec-')), 'fd.txt');
  const fd = openSync(file, 'w');
  try {
    await run('echo', ['via fd'], { stdout: fd });
  } finally {
    closeSync(fd);
  }
  assert.equal(readFileSync(file, 'utf8'), 'via fd\n');
});

test('a file stream as stdout is complete when run() resolves', T, async () => {
  const { createWriteStream } = await import('node:fs');
  const file = join(mkdtempSync(join(tmpdir(), 'spindle-exec-')), 'out.txt');
  await run('seq', ['1', '20000'], { stdout: createWriteStream(file) });
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  assert.equal(lines.length, 20000);
  assert.equal(lines.at(-1), '20000');
});

test('reject: false resolves with failed, error and the same fields', T, async () => {
  const r = await run('sh', ['-c', 'echo partial; exit 4'], { reject: false });
  assert.equal(r.failed, true);
  assert.equal(r.exitCode, 4);
  assert.equal(r.stdout, 'partial');
  assert.ok(r.error instanceof ExecExitError);
  assert.equal(r.error.code, 'ERR_EXEC_EXIT');
  const missing = await run('spindle-no-such-program', { reject: false });
  assert.equal(missing.failed, true);
  assert.equal(missing.error.code, 'ERR_EXEC_NOT_FOUND');
});

test('bad options are rejected with ERR_INVALID_OPTION naming the option', T, async () => {
  const cases = [
    [[''], 'file'],
    [['echo', ['a', 1]], 'args[1]'],
    [['echo', [], { timeout: -1 }], 'timeout'],
    [['echo', [], { killGrace: -1 }], 'killGrace'],
    [['echo', [], { killGrace: '1.5' }], 'killGrace'],
    [['echo', [], { maxBuffer: 0 }], 'maxBuffer'],
    [['echo', [], { encoding: 'utf9' }], 'encoding'],
    [['echo', [], { killSignal: 'SIGNOPE' }], 'killSignal'],
    [['echo', [], { signal: {} }], 'signal'],
    [['echo', [], { env: { A: 1 } }], 'env.A'],
    [['echo', [], { stdio: 'pipes' }], 'stdio'],
    [['echo', [], { input: 42 }], 'input'],
    [['echo', [], { input: 'x', stdin: 'inherit' }], 'stdin'],
    [['echo', [], { reject: 'no' }], 'reject'],
    [['echo', [], { cwd: 5 }], 'cwd'],
    [['echo', [], 'opts'], 'options'],
  ];
  for (const [args, option] of cases) {
    await assert.rejects(run(...args), (e) => e.code === 'ERR_INVALID_OPTION' && e.option === option, option);
  }
});
