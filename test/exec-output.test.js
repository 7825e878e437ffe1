// all (stdout and stderr interleaved), lines (arrays), and files as input and output.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { $, run, spawn } from 'spindle/exec';

const T = { timeout: 30_000 };
const turns = fileURLToPath(new URL('./fixtures/exec/turns.js', import.meta.url));

function tmp(t) {
  const dir = mkdtempSync(join(tmpdir(), 'spindle-out-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('all: stdout and stderr in the order received, as text and as lines', T, async () => {
  // The fixture writes o1, e1, o2, e2 on alternating streams and waits for an acknowledgement after each.
  const p = spawn(process.execPath, [turns, 'o1', 'e1', 'o2', 'e2'], { all: true, buffer: true });
  const seen = [];
  for await (const line of p.lines({ from: 'all' })) {
    seen.push(line);
    await p.write('\n');
  }
  const r = await p;
  assert.deepEqual(seen, ['o1', 'e1', 'o2', 'e2']);
  assert.equal(r.all, 'o1\ne1\no2\ne2');
  assert.equal(r.stdout, 'o1\no2');
  assert.equal(r.stderr, 'e1\ne2');

  const l = spawn(process.execPath, [turns, 'o1', 'e1', 'o2'], { all: true, lines: true, buffer: true });
  for await (const _ of l.lines({ from: 'all' })) await l.write('\n');
  const lr = await l;
  assert.deepEqual(lr.all, ['o1', 'e1', 'o2']);
  assert.deepEqual(lr.stdout, ['o1', 'o2']);
  assert.deepEqual(lr.stderr, ['e1']);
});

test('all keeps each line whole: a partial line waits for its end', T, async () => {
  // stdout's line arrives in two writes around stderr's; whichever order the pipes deliver, no line is cut.
  const r = await run('sh', ['-c', 'printf par; printf "E\\n" >&2; printf "tial\\n"; printf "no newline" >&2'], {
    all: true,
  });
  assert.ok(['E\npartial\nno newline', 'partial\nE\nno newline'].includes(r.all), JSON.stringify(r.all));
  const both = await run('sh', ['-c', 'printf out; printf err >&2'], { all: true });
  assert.equal(both.all, 'out\nerr', "each stream's unfinished last line ends up on a line of its own");
});

test('all: bytes with encoding buffer, empty without output, absent unless asked, on the error too', T, async () => {
  const b = await run('sh', ['-c', 'printf "a\\n"; printf "b\\n" >&2'], { all: true, encoding: 'buffer' });
  assert.ok(Buffer.isBuffer(b.all));
  assert.ok(['a\nb', 'b\na'].includes(b.all.toString()));
  assert.equal((await run('true', { all: true })).all, '');
  assert.deepEqual((await run('true', { all: true, lines: true })).all, []);
  assert.equal('all' in (await run('echo', ['x'])), false);
  await assert.rejects(run('sh', ['-c', 'echo out; echo err >&2; exit 2'], { all: true }), (e) => {
    assert.equal(e.code, 'ERR_EXEC_EXIT');
    assert.ok(['out\nerr', 'err\nout'].includes(e.all));
    return true;
  });
});

test('all holds only what the result keeps: a stream taken over is left out', T, async () => {
  const p = spawn('sh', ['-c', 'echo out; echo err >&2'], { all: true });
  const err = [];
  for await (const l of p.lines({ from: 'stderr' })) err.push(l);
  const r = await p;
  assert.deepEqual(err, ['err']);
  assert.equal(r.all, 'out');
  assert.equal(r.stderr, '');
});

test('lines: stdout and stderr as arrays; \\r\\n ends a line; no output is no lines', T, async () => {
  const r = await run('sh', ['-c', 'printf "a\\r\\nb\\n\\nc"; printf "e\\n" >&2'], { lines: true });
  assert.deepEqual(r.stdout, ['a', 'b', '', 'c']);
  assert.deepEqual(r.stderr, ['e']);
  assert.deepEqual((await run('true', { lines: true })).stdout, []);
  assert.deepEqual((await run('printf', ['x\n'], { lines: true, stripFinalNewline: false })).stdout, ['x']);
  await assert.rejects(run('sh', ['-c', 'echo a; echo b; exit 1'], { lines: true }), (e) => {
    assert.deepEqual(e.stdout, ['a', 'b']);
    return true;
  });
  // A lines result in a template is its text.
  const listed = await run('printf', ['one\ntwo'], { lines: true });
  assert.equal((await $`printf %s ${listed}`).stdout, 'one\ntwo');
  await assert.rejects(run('true', { lines: true, encoding: 'buffer' }), {
    code: 'ERR_INVALID_OPTION',
    option: 'lines',
  });
});

test('input: { file } is read by the program itself; stdout/stderr: { file } are written', T, async (t) => {
  const dir = tmp(t);
  const src = join(dir, 'in.txt');
  writeFileSync(src, 'from a file\n');
  assert.equal((await run('cat', { input: { file: src } })).stdout, 'from a file');
  assert.equal((await run('cat', { input: { file: pathToFileURL(src) } })).stdout, 'from a file');

  const out = join(dir, 'out.txt');
  const r = await run('sh', ['-c', 'echo to-out; echo to-err >&2'], { stdout: { file: out } });
  assert.equal(r.stdout, '', 'written to the file, not kept');
  assert.equal(r.stderr, 'to-err');
  assert.equal(readFileSync(out, 'utf8'), 'to-out\n');
  await run('echo', ['again'], { stdout: { file: out } });
  assert.equal(readFileSync(out, 'utf8'), 'again\n', 'truncated first');
  await run('echo', ['more'], { stdout: { file: pathToFileURL(out), append: true } });
  assert.equal(readFileSync(out, 'utf8'), 'again\nmore\n');

  // The same file for both streams: one descriptor, so neither overwrites the other (as `> f 2>&1`).
  const log = join(dir, 'log.txt');
  await run('sh', ['-c', 'echo 1; echo 2 >&2; echo 3; echo 4 >&2'], { stdout: { file: log }, stderr: { file: log } });
  assert.equal(readFileSync(log, 'utf8'), '1\n2\n3\n4\n');
  await run('sh', ['-c', 'echo x >&2'], { stdio: ['ignore', 'ignore', { file: log }] });
  assert.equal(readFileSync(log, 'utf8'), 'x\n');
});

test(
  'a file that cannot be opened is ERR_EXEC_SPAWN naming the option; nothing runs; no descriptor leaks',
  T,
  async (t) => {
    const dir = tmp(t);
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    const marker = join(dir, 'ran');
    const missing = join(dir, 'missing.txt');
    await assert.rejects(run('touch', [marker], { input: { file: missing } }), (e) => {
      assert.equal(e.code, 'ERR_EXEC_SPAWN');
      assert.match(e.message, /cannot read the `input` file .*missing\.txt.*ENOENT/);
      assert.equal(e.pid, undefined);
      assert.equal(e.cause.code, 'ENOENT');
      return true;
    });
    const r = await run('touch', [marker], { stderr: { file: join(dir, 'no', 'such', 'dir.txt') }, reject: false });
    assert.equal(r.error.code, 'ERR_EXEC_SPAWN');
    assert.match(r.error.message, /cannot write to the `stderr` file/);
    assert.equal(existsSync(marker), false, 'the program did not run');
    writeFileSync(join(dir, 'i'), 'in');
    for (let i = 0; i < 5; i++) await run('cat', { stdout: { file: join(dir, 'o') }, input: { file: join(dir, 'i') } });
    assert.equal(readFileSync(join(dir, 'o'), 'utf8'), 'in');
    assert.equal(fds(), before, 'every descriptor opened for the child was closed here');
  },
);

test('{ file } is refused where it cannot go, and its keys are checked', T, async (t) => {
  const file = join(tmp(t), 'f');
  await assert.rejects(run('true', { stdin: { file } }), { code: 'ERR_INVALID_OPTION', option: 'stdin' });
  await assert.rejects(run('true', { stdio: [{ file }, 'pipe', 'pipe'] }), {
    code: 'ERR_INVALID_OPTION',
    option: 'stdio[0]',
  });
  await assert.rejects(run('true', { stdout: { file, apend: true } }), { code: 'ERR_INVALID_OPTION', option: 'apend' });
  await assert.rejects(run('true', { stdout: { file: '' } }), { code: 'ERR_INVALID_OPTION', option: 'stdout.file' });
  await assert.rejects(run('true', { stdout: { file, append: 'yes' } }), {
    code: 'ERR_INVALID_OPTION',
    option: 'stdout.append',
  });
  await assert.rejects(run('cat', { input: { file: 3 } }), { code: 'ERR_INVALID_OPTION', option: 'input.file' });
  await assert.rejects(run('cat', { input: { file, extra: 1 } }), { code: 'ERR_INVALID_OPTION', option: 'extra' });
  assert.throws(() => spawn('cat', { input: { file } }).readable({ from: 'stdin' }), { code: 'ERR_INVALID_OPTION' });
  assert.throws(() => spawn('echo', { stdout: { file } }).readable(), { code: 'ERR_INVALID_OPTION', option: 'from' });
});
