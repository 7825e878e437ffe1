// verbose: each command, its duration and how it ended, to stderr or a function; never the environment.
import assert from 'node:assert/strict';
import { spawn as cpSpawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { $, formatLogEntry, run, runSync, spawn } from 'spindle/exec';

const T = { timeout: 30_000 };
const SECRET = 'hunter2-s3cr3t';

/** Runs `fn` with process.stderr.write captured; returns what was written. */
async function captureStderr(fn) {
  const original = process.stderr.write;
  let text = '';
  process.stderr.write = (chunk, ...rest) => {
    text += String(chunk);
    const cb = rest.find((r) => typeof r === 'function');
    if (cb) cb();
    return true;
  };
  try {
    await fn();
  } finally {
    process.stderr.write = original;
  }
  return text;
}

const STAMP = String.raw`\[\d\d:\d\d:\d\d\.\d{3}\] \[(\d+)\]`;

test("verbose: 'short' logs the command and its end with the duration; true is 'short'", T, async () => {
  const text = await captureStderr(async () => {
    await run('echo', ['hello world'], { verbose: 'short', env: { TOKEN: SECRET } });
    await run('sh', ['-c', 'echo oops >&2; exit 3'], { verbose: true, reject: false, env: { TOKEN: SECRET } });
  });
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 4, text);
  assert.match(lines[0], new RegExp(`^${STAMP} \\$ echo 'hello world'$`));
  assert.match(lines[1], new RegExp(`^${STAMP} ✔ exit 0 in [\\d.]+ms$`));
  assert.match(lines[2], new RegExp(`^${STAMP} \\$ sh -c 'echo oops >&2; exit 3'$`));
  assert.match(lines[3], new RegExp(`^${STAMP} ✘ exit 3 in [\\d.]+ms: ERR_EXEC_EXIT Command failed with exit code 3`));
  const [a, b, c] = [0, 1, 2].map((i) => Number(new RegExp(STAMP).exec(lines[i])[1]));
  assert.equal(a, b, 'start and end share an id');
  assert.ok(c > a, 'ids grow');
  assert.ok(!text.includes(SECRET), 'env values are never logged');
  assert.ok(!text.includes('hello world\n'), "'short' does not log output");
});

test("verbose: 'full' adds every output line, stderr lines marked", T, async () => {
  const text = await captureStderr(() => run('sh', ['-c', 'echo out1; echo err1 >&2'], { verbose: 'full' }));
  assert.match(text, new RegExp(`${STAMP}     out1\\n`));
  assert.match(text, new RegExp(`${STAMP}   ! err1\\n`));
});

test('verbose: a function receives every entry: command, output lines, end with the result', T, async () => {
  const entries = [];
  const r = await run('sh', ['-c', 'echo a; echo b >&2'], {
    verbose: (e) => entries.push(e),
    env: { TOKEN: SECRET },
    input: SECRET,
    stdin: 'pipe',
  });
  assert.deepEqual(
    entries.map((e) => e.type),
    ['command', 'output', 'output', 'end'],
  );
  const [start, ...rest] = entries;
  assert.equal(start.command, r.command);
  assert.ok(start.time instanceof Date);
  const out = rest.filter((e) => e.type === 'output').map((e) => `${e.from}:${e.line}`);
  assert.deepEqual(out.sort(), ['stderr:b', 'stdout:a']);
  const end = entries.at(-1);
  assert.equal(end.type, 'end');
  assert.equal(end.result.exitCode, 0);
  assert.equal(end.result, r, 'the same result the caller gets');
  assert.ok(new Set(entries.map((e) => e.id)).size === 1);
  assert.ok(!JSON.stringify(entries).includes(SECRET), 'neither env nor input is in an entry');
  assert.equal(formatLogEntry(start).endsWith(`$ ${r.command}`), true);
});

test('verbose: a command that never started is logged with why; piped commands each log', T, async () => {
  const entries = [];
  const log = (e) => entries.push(e);
  await run('no-such-program-spindle', { verbose: log, reject: false });
  assert.deepEqual(
    entries.map((e) => e.type),
    ['command', 'end'],
  );
  assert.equal(entries[1].result.error.code, 'ERR_EXEC_NOT_FOUND');
  assert.match(formatLogEntry(entries[1]), /✘ not started in [\d.]+ms: ERR_EXEC_NOT_FOUND Command not found/);
  const killed = await run('sleep', ['10'], { timeout: 50, reject: false, verbose: log });
  assert.match(formatLogEntry(entries.at(-1)), /✘ killed by SIGTERM in [\d.]+ms: ERR_EXEC_TIMEOUT/);
  assert.equal(killed.timedOut, true);
  entries.length = 0;
  await spawn('echo', ['x'], { verbose: log }).pipe($({ verbose: log })`cat`);
  assert.equal(entries.filter((e) => e.type === 'command').length, 2);
  assert.equal(entries.filter((e) => e.type === 'end').length, 2);
});

test('verbose: a logger that throws gives a warning, never a failed command', T, async () => {
  const warned = once(process, 'warning');
  const r = await run('echo', ['fine'], {
    verbose: () => {
      throw new Error('logger broke');
    },
  });
  assert.equal(r.stdout, 'fine');
  const [w] = await warned;
  assert.match(w.message, /verbose function threw: logger broke/);
});

test(
  'verbose with runSync: stderr lines as the command runs; a function gets the entries when it returns',
  T,
  async () => {
    // stderr of runSync's helper thread is written to fd 2 directly: look at a child process's stderr.
    const code = `import { runSync } from 'spindle/exec';
runSync('echo', ['sync out'], { verbose: 'full', env: { TOKEN: '${SECRET}' } });`;
    const child = cpSpawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => {
      err += c;
    });
    const [exitCode] = await once(child, 'exit');
    assert.equal(exitCode, 0, err);
    assert.match(err, new RegExp(`${STAMP} \\$ echo 'sync out'\\n${STAMP}     sync out\\n${STAMP} ✔ exit 0 in`));
    assert.ok(!err.includes(SECRET));

    const entries = [];
    const r = runSync('echo', ['x'], { verbose: (e) => entries.push(e) });
    assert.deepEqual(
      entries.map((e) => e.type),
      ['command', 'output', 'end'],
    );
    assert.equal(entries[2].result, r);
  },
);

test('verbose: bad values are refused', T, async () => {
  for (const verbose of ['none', 'yes', 1, null, {}]) {
    await assert.rejects(run('true', { verbose }), { code: 'ERR_INVALID_OPTION', option: 'verbose' });
  }
});
