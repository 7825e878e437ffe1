// node: true runs a Node script with this process's Node and flags; ipc: true exchanges messages with it.
import assert from 'node:assert/strict';
import { spawn as cpSpawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { $, run, runSync, spawn } from 'spindle/exec';

const T = { timeout: 30_000 };
const childUrl = new URL('./fixtures/exec/ipc-child.js', import.meta.url);
const child = fileURLToPath(childUrl);

test("node: true runs the script with this process's Node; file and command say what ran", T, async () => {
  const r = await run(child, ['argv', 'a b'], { node: true });
  const seen = JSON.parse(r.stdout);
  assert.deepEqual(seen.argv, ['argv', 'a b']);
  assert.equal(seen.ipc, 'undefined', 'no IPC channel unless asked');
  assert.equal(r.file, process.execPath);
  assert.deepEqual(r.args.slice(-3), [child, 'argv', 'a b']);
  assert.ok(r.command.startsWith(process.execPath));
  // a file: URL works as the script, in $ and runSync too
  assert.deepEqual(JSON.parse((await run(childUrl, ['argv'], { node: true })).stdout).argv, ['argv']);
  assert.deepEqual(JSON.parse((await $({ node: true })`${child} argv x`).stdout).argv, ['argv', 'x']);
  assert.deepEqual(JSON.parse(runSync(child, ['argv'], { node: true }).stdout).argv, ['argv']);
});

test("node: true passes this process's flags on, minus those about how it was started", T, async () => {
  // A parent started with flags, some of which (-e's code, --inspect-port, --test-*) are not the script's.
  const code = `import { run } from 'spindle/exec';
const r = await run(${JSON.stringify(child)}, ['argv'], { node: true });
process.stdout.write(r.stdout);`;
  const parent = cpSpawn(
    process.execPath,
    ['--max-old-space-size=200', '--no-warnings', '--inspect-port=0', '--input-type=module', '-e', code],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  parent.stdout.on('data', (c) => {
    out += c;
  });
  const [exitCode] = await once(parent, 'exit');
  assert.equal(exitCode, 0);
  assert.deepEqual(JSON.parse(out).execArgv, ['--max-old-space-size=200', '--no-warnings']);
  // nodeOptions and nodePath replace the defaults
  const r = await run(child, ['argv'], { node: true, nodeOptions: ['--stack-size=900'], nodePath: process.execPath });
  assert.deepEqual(JSON.parse(r.stdout).execArgv, ['--stack-size=900']);
});

test('node options are checked', T, async () => {
  await assert.rejects(run(child, { nodeOptions: [] }), { code: 'ERR_INVALID_OPTION', option: 'nodeOptions' });
  await assert.rejects(run(child, { nodePath: process.execPath }), { code: 'ERR_INVALID_OPTION', option: 'nodePath' });
  await assert.rejects(run(child, { node: true, nodeOptions: [1] }), {
    code: 'ERR_INVALID_OPTION',
    option: 'nodeOptions',
  });
  await assert.rejects(run(child, { node: true, shell: true }), { code: 'ERR_INVALID_OPTION', option: 'shell' });
  await assert.rejects(run(child, { node: 'yes' }), { code: 'ERR_INVALID_OPTION', option: 'node' });
  await assert.rejects(run(child, { serialization: 'json' }), { code: 'ERR_INVALID_OPTION', option: 'serialization' });
  await assert.rejects(run(child, { ipc: true, serialization: 'xml' }), {
    code: 'ERR_INVALID_OPTION',
    option: 'serialization',
  });
  await assert.rejects(run('/no/such/node', ['x'], { node: true, nodePath: '/no/such/node' }), {
    code: 'ERR_EXEC_NOT_FOUND',
  });
});

test('ipc: send() and messages() exchange messages; the loop ends when the channel closes', T, async () => {
  const p = spawn(child, ['echo'], { node: true, ipc: true });
  const got = [];
  for await (const m of p.messages()) {
    got.push(m);
    if (got.length === 1) await p.send('one');
    else if (got.length === 2) await p.send({ two: 2 });
    else await p.send('bye');
  }
  assert.deepEqual(got, ['ready', { got: 'one' }, { got: { two: 2 } }]);
  const r = await p;
  assert.equal(r.exitCode, 0);
  assert.deepEqual(r.messages, [], "with buffer 'auto', messages taken by the loop are not kept twice");
});

test('ipc: messages sent just before the exit are in the result; run() keeps them all', T, async () => {
  for (let i = 0; i < 5; i++) {
    const r = await run(child, ['burst'], { node: true, ipc: true });
    assert.deepEqual(r.messages, [1, 2, 3]);
  }
  const kept = spawn(child, ['burst'], { node: true, ipc: true, buffer: true });
  const seen = [];
  for await (const m of kept.messages()) seen.push(m);
  assert.deepEqual(seen, [1, 2, 3]);
  assert.deepEqual((await kept).messages, [1, 2, 3], 'buffer: true keeps them while you read them');
  assert.equal('messages' in (await run(child, ['argv'], { node: true })), false);
});

test("ipc: 'advanced' serialization carries what structured clone does; 'json' what JSON does", T, async () => {
  const r = await run(child, ['types'], { node: true, ipc: true });
  assert.equal(r.messages[0].big, 10n);
  assert.ok(r.messages[0].map instanceof Map);
  assert.ok(r.messages[0].date instanceof Date);
  const j = spawn(child, ['echo'], { node: true, ipc: true, serialization: 'json' });
  const answers = j.messages();
  assert.equal((await answers.next()).value, 'ready');
  await j.send({ d: new Date(0) });
  assert.deepEqual((await answers.next()).value, { got: { d: '1970-01-01T00:00:00.000Z' } });
  await assert.rejects(j.send({ big: 1n }), { code: 'ERR_INVALID_OPTION', option: 'message' });
  await j.send('bye');
  await j;
});

test('ipc: a failed script ends the messages loop with its error; send() after the end resolves', T, async () => {
  const p = spawn(child, ['fail'], { node: true, ipc: true });
  const got = [];
  await assert.rejects(
    (async () => {
      for await (const m of p.messages()) got.push(m);
    })(),
    { code: 'ERR_EXEC_EXIT', exitCode: 3 },
  );
  assert.deepEqual(got, ['before failing']);
  await p.send('nobody listens'); // resolves quietly: the result says what happened
  await assert.rejects(p, { code: 'ERR_EXEC_EXIT' });
});

test('ipc: disconnect() lets a script that only listens end; without ipc the calls are refused', T, async () => {
  const p = spawn(child, ['listen'], { node: true, ipc: true });
  const messages = p.messages();
  assert.deepEqual(await messages.next(), { value: 'ready', done: false });
  await p.send('hello');
  p.disconnect();
  assert.deepEqual(await messages.next(), { value: undefined, done: true });
  const r = await p;
  assert.equal(r.stdout, 'got hello');
  assert.equal(r.exitCode, 0);
  p.disconnect(); // idempotent

  const plain = spawn(child, ['argv'], { node: true });
  await assert.rejects(plain.send('x'), { code: 'ERR_INVALID_OPTION', option: 'ipc' });
  assert.throws(() => plain.messages(), { code: 'ERR_INVALID_OPTION', option: 'ipc' });
  assert.throws(() => plain.disconnect(), { code: 'ERR_INVALID_OPTION', option: 'ipc' });
  await plain;
  const twice = spawn(child, ['burst'], { node: true, ipc: true });
  twice.messages();
  assert.throws(() => twice.messages(), { code: 'ERR_INVALID_OPTION' });
  await twice;
});

test('ipc with runSync is refused (it has no handle to talk through)', T, () => {
  assert.throws(() => runSync(child, ['burst'], { node: true, ipc: true }), {
    code: 'ERR_INVALID_OPTION',
    option: 'ipc',
  });
});
