// Units of the control plane (issue 12), in process: names and directories,
// request parsing (a property test: any line is a request or a coded refusal),
// line framing with its size limit, the output ring and its formats, the
// scale argument, and tables that fit 80 columns.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { scaleArg } from '../dist/cli/scale.js';
import { table } from '../dist/cli/table.js';
import { RING_BYTES, WorkerOutput } from '../dist/cluster/output.js';
import { checkName, controlDirectory, defaultName, searchDirectories } from '../dist/control/dirs.js';
import { jsonObject, toRecord } from '../dist/control/log.js';
import { LineReader, MAX_REQUEST_BYTES } from '../dist/control/protocol.js';
import { readRequest } from '../dist/control/requests.js';
import { bin } from './helpers/cli.js';
import { acceptedOrCoded, anyValue, check, fc } from './helpers/fuzz.js';

test('names: letters, digits, . _ -, at most 64; a default from the script', () => {
  for (const ok of ['api', 'my-app.v2', 'a_b', 'x'.repeat(64), '...x']) assert.equal(checkName('--name', ok), ok);
  for (const bad of ['', '.', '..', 'a/b', 'a b', 'x'.repeat(65), 'é', 'a\0b', 3, undefined, null]) {
    assert.throws(() => checkName('--name', bad), { code: 'ERR_INVALID_OPTION', option: '--name' });
  }
  assert.equal(defaultName('/srv/app/server.js'), 'server');
  assert.equal(defaultName('dist/my app.mjs'), 'my-app');
  assert.equal(defaultName('src/index.ts'), 'index');
  assert.equal(defaultName('/x/...'), 'app');
  assert.equal(defaultName(`/x/${'ü'.repeat(10)}.js`), '-');
  assert.equal(defaultName(`/x/${'a'.repeat(100)}.js`), 'a'.repeat(64));
});

test('control directories: SPINDLE_HOME alone; else XDG_RUNTIME_DIR/spindle and ~/.spindle', () => {
  assert.equal(controlDirectory({ SPINDLE_HOME: '/tmp/h', XDG_RUNTIME_DIR: '/run/user/1' }), '/tmp/h');
  assert.deepEqual(searchDirectories({ SPINDLE_HOME: '/tmp/h', XDG_RUNTIME_DIR: '/run/user/1' }), ['/tmp/h']);
  assert.equal(controlDirectory({ XDG_RUNTIME_DIR: '/run/user/1' }), '/run/user/1/spindle');
  assert.deepEqual(searchDirectories({ XDG_RUNTIME_DIR: '/run/user/1' }), [
    '/run/user/1/spindle',
    join(homedir(), '.spindle'),
  ]);
  assert.equal(controlDirectory({}), join(homedir(), '.spindle'));
  assert.deepEqual(searchDirectories({}), [join(homedir(), '.spindle')]);
});

test('requests: any line is a checked request or ERR_CONTROL_BAD_REQUEST with a reason', async () => {
  const line = fc.oneof(
    fc.string(),
    fc.json(),
    fc
      .record(
        {
          v: fc.oneof(fc.constant(1), anyValue()),
          id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), anyValue()),
          cmd: fc.oneof(
            fc.constantFrom('hello', 'status', 'reload', 'scale', 'stop', 'logs', '__proto__'),
            fc.string(),
          ),
          args: fc.oneof(
            fc.record(
              {
                workers: anyValue(),
                by: anyValue(),
                grace: anyValue(),
                lines: anyValue(),
                follow: anyValue(),
                worker: anyValue(),
              },
              { requiredKeys: [] },
            ),
            anyValue(),
          ),
        },
        { requiredKeys: [] },
      )
      .map((o) => {
        try {
          return JSON.stringify(o) ?? '';
        } catch {
          return '';
        }
      }),
  );
  await check(
    fc.asyncProperty(line, async (text) => {
      const r = await acceptedOrCoded(() => readRequest(text), { codes: ['ERR_CONTROL_BAD_REQUEST'] });
      if (!r.ok) {
        assert.ok(['json', 'shape', 'version', 'command', 'args'].includes(r.error.reason), r.error.reason);
        return;
      }
      const q = r.value;
      assert.equal(q.v, 1);
      assert.ok(['hello', 'status', 'reload', 'scale', 'stop', 'logs'].includes(q.cmd));
      assert.ok(q.id === null || typeof q.id === 'string' || Number.isFinite(q.id));
      if (q.cmd === 'scale') assert.ok('workers' in q.args !== 'by' in q.args);
      if (q.cmd === 'stop' && q.args.grace !== undefined) assert.ok(q.args.grace >= 0);
      if (q.cmd === 'logs') assert.ok(Number.isInteger(q.args.lines) && typeof q.args.follow === 'boolean');
    }),
  );
  assert.deepEqual(readRequest('{"v":1,"id":3,"cmd":"scale","args":{"by":-2}}'), {
    v: 1,
    id: 3,
    cmd: 'scale',
    args: { by: -2 },
  });
  assert.deepEqual(readRequest('{"v":1,"cmd":"stop","args":{"grace":"1.5s"}}').args, { grace: 1500 });
});

test('line framing: lines split anywhere, an oversized line refused once and skipped', () => {
  const lines = [];
  let tooLong = 0;
  const r = new LineReader(
    10,
    (l) => lines.push(l),
    () => tooLong++,
  );
  r.push(Buffer.from('ab'));
  r.push(Buffer.from('c\nd'));
  r.push(Buffer.from('\n\n'));
  assert.deepEqual(lines, ['abc', 'd', '']);
  r.push(Buffer.from('0123456789AB')); // over 10 without a newline
  r.push(Buffer.from('CDEF\nok\n'));
  assert.equal(tooLong, 1);
  assert.deepEqual(lines, ['abc', 'd', '', 'ok']);
  r.push(Buffer.from('0123456789ABC\nfine\n'));
  assert.equal(tooLong, 2);
  assert.deepEqual(lines.at(-1), 'fine');
  // Multi-byte characters cut between chunks come out whole.
  const u = [];
  const r2 = new LineReader(
    MAX_REQUEST_BYTES,
    (l) => u.push(l),
    () => {},
  );
  const bytes = Buffer.from('héllo\n');
  r2.push(bytes.subarray(0, 2));
  r2.push(bytes.subarray(2));
  assert.deepEqual(u, ['héllo']);
});

function fakeWorker(out, id, pid) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  out.attach(id, pid, stdout, stderr);
  return { stdout, stderr };
}

/** Lets stream events and the output's batch (one turn of the event loop) run. */
async function turn() {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}

/** Sinks that record what is written to them. */
function sinks() {
  const written = [];
  const sink = { write: (chunk) => written.push(String(chunk)) > 0 };
  return { written, sinks: { stdout: sink, stderr: sink } };
}

test('worker output: whole lines pass through, the ring keeps the last lines per worker, in order', async () => {
  const { written, sinks: to } = sinks();
  {
    const out = new WorkerOutput({ format: 'text', time: false, prefix: false }, to);
    const a = fakeWorker(out, 1, 101);
    const b = fakeWorker(out, 2, 102);
    a.stdout.write('one\ntw');
    b.stdout.write('alpha\n');
    a.stdout.write('o\n');
    out.supervisorLine('reloading');
    a.stderr.write('oops\n');
    await turn();
    // Whole lines only: worker 1's "tw" waits for its end instead of mixing with worker 2's line;
    // what arrived within one turn goes out in one write per stream (stdout, then stderr).
    assert.deepEqual(written, ['one\nalpha\ntwo\n', 'oops\n']);
    assert.deepEqual(
      out.tail(10).map((l) => `${l.worker}/${l.stream}/${l.pid}: ${l.text}`),
      [
        '1/stdout/101: one',
        '2/stdout/102: alpha',
        '1/stdout/101: two',
        'null/spindle/' + process.pid + ': reloading',
        '1/stderr/101: oops',
      ],
    );
    assert.deepEqual(
      out.tail(2, 1).map((l) => l.text),
      ['two', 'oops'],
    );
    assert.deepEqual(out.tail(0), []);
    const seen = [];
    const stop = out.follow((l) => seen.push(l.text), 2);
    a.stdout.write('not 2\n');
    b.stdout.write('x\ny\n');
    await turn();
    stop();
    b.stdout.write('after\n');
    await turn();
    assert.deepEqual(seen, ['x', 'y']);
    // A line without a newline at the end of the stream is passed on with one.
    b.stdout.end('last words');
    await turn();
    assert.match(written.at(-1), /last words\n$/);
    // Bounded: the ring keeps about RING_BYTES per worker however much is written.
    const line = `${'z'.repeat(99)}\n`;
    for (let i = 0; i < 10_000; i++) a.stdout.write(line);
    await turn();
    const kept = out.tail(100_000, 1);
    assert.ok(kept.length * 100 <= RING_BYTES && kept.length > RING_BYTES / 400, `${kept.length} lines kept`);
    assert.equal(kept.at(-1).text, 'z'.repeat(99));
    out.forget(1);
    assert.deepEqual(out.tail(10, 1), []);
  }
});

test('worker output formats: JSON records embed JSON lines; text with time and prefix', async () => {
  const { written, sinks: to } = sinks();
  {
    const json = new WorkerOutput({ format: 'json', time: false, prefix: false }, to);
    const w = fakeWorker(json, 3, 303);
    w.stdout.write('plain "quoted"\n{"level":30,"msg":"hi"}\n[1,2]\n{not json}\n');
    await turn();
    const records = written
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      records.map(({ time, ...r }) => r),
      [
        { worker: 3, pid: 303, stream: 'stdout', message: 'plain "quoted"' },
        { worker: 3, pid: 303, stream: 'stdout', json: { level: 30, msg: 'hi' } },
        { worker: 3, pid: 303, stream: 'stdout', message: '[1,2]' },
        { worker: 3, pid: 303, stream: 'stdout', message: '{not json}' },
      ],
    );
    for (const r of records) assert.ok(!Number.isNaN(Date.parse(r.time)));
    written.length = 0;
    const text = new WorkerOutput({ format: 'text', time: true, prefix: true }, to);
    fakeWorker(text, 4, 404).stdout.write('hello\n');
    await turn();
    assert.match(written.join(''), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[4\] hello\n$/);
  }
  assert.equal(jsonObject('{"a":1}').a, 1);
  assert.equal(jsonObject('{"a":1'), undefined);
  assert.equal(jsonObject('"x"'), undefined);
  assert.deepEqual(toRecord({ time: 0, worker: 1, pid: 2, stream: 'stderr', text: 'x' }), {
    time: '1970-01-01T00:00:00.000Z',
    worker: 1,
    pid: 2,
    stream: 'stderr',
    message: 'x',
  });
});

test('spindle scale N: a count, auto, +N or -N; anything else is a usage error', () => {
  assert.deepEqual(scaleArg('4'), { workers: 4 });
  assert.deepEqual(scaleArg('auto'), { workers: 'auto' });
  assert.deepEqual(scaleArg('+2'), { by: 2 });
  assert.deepEqual(scaleArg('-1'), { by: -1 });
  for (const bad of [undefined, '', '0', '-0', '1025', '1.5', 'lots', '+', '2x', '99999']) {
    assert.throws(() => scaleArg(bad), { code: 'ERR_CLI_USAGE' }, String(bad));
  }
});

test('tables fit the width by cutting the flexible column; colour only when asked', () => {
  const rows = [[`${'n'.repeat(70)}`, 'start', '123456', { text: 'running', style: 'green' }]];
  const columns = [
    { header: 'NAME', flexible: true },
    { header: 'KIND' },
    { header: 'PID', align: 'right' },
    { header: 'STATE' },
  ];
  const plain = table(columns, rows, { color: false, width: 80 });
  for (const line of plain.split('\n')) assert.ok(line.length <= 80, line);
  assert.match(plain, /n… {2}start {2}123456 {2}running$/);
  assert.doesNotMatch(plain, /\x1b/);
  assert.match(table(columns, rows, { color: true, width: 80 }), /\x1b\[32mrunning\x1b\[39m/);
});

test('--help of every control command: usage, examples, 80 columns; spindle --help lists them', () => {
  const run = (...args) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  for (const cmd of ['start', 'work', 'ls', 'status', 'reload', 'scale', 'logs', 'stop']) {
    const r = run(cmd, '--help');
    assert.equal(r.status, 0, cmd);
    assert.match(r.stdout, new RegExp(`^Usage: spindle ${cmd}`), cmd);
    assert.match(r.stdout, new RegExp(`\\nExamples:\\n {2}spindle ${cmd}\\b`), cmd);
    for (const line of r.stdout.split('\n')) assert.ok([...line].length <= 80, `${cmd} --help: ${line}`);
  }
  const all = run('--help');
  for (const line of all.stdout.split('\n')) assert.ok([...line].length <= 80, line);
  assert.match(all.stdout, /^ {2}ls {9}\S/m);
  assert.match(all.stdout, /^ {2}stop {7}\S/m);
  // Usage errors: exit code 2, before any connection is tried.
  for (const args of [
    ['status'],
    ['status', 'a b'],
    ['status', 'api', 'extra'],
    ['scale', 'api'],
    ['scale', 'api', 'x'],
    ['logs', 'api', '-n', 'many'],
    ['stop', 'api', '--grace', '10'],
  ]) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
  }
});
