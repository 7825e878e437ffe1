// preferLocal: programs in node_modules/.bin, searched from cwd up to the root.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { run, runSync } from 'spindle/exec';

const T = { timeout: 30_000 };
const repo = fileURLToPath(new URL('..', import.meta.url));
/** A PATH with the system's programs but neither the repository's node_modules/.bin nor a global tsc. */
const PATH = ['/usr/local/bin', '/usr/bin', '/bin'].join(delimiter);

function tool(dir, name, says) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\necho ${says} "$@"\n`);
  chmodSync(file, 0o755);
}

/** project/node_modules/.bin/mytool (local), global/mytool (on PATH), project/a/b (a directory deep inside). */
function project(t) {
  const root = mkdtempSync(join(tmpdir(), 'spindle-local-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  tool(join(root, 'project', 'node_modules', '.bin'), 'mytool', 'local');
  tool(join(root, 'global'), 'mytool', 'global');
  mkdirSync(join(root, 'project', 'a', 'b'), { recursive: true });
  return { root, dir: join(root, 'project'), deep: join(root, 'project', 'a', 'b'), global: join(root, 'global') };
}

test("run('tsc') in a project with local TypeScript runs the project's tsc with preferLocal", T, async () => {
  const version = JSON.parse(readFileSync(join(repo, 'node_modules/typescript/package.json'), 'utf8')).version;
  const cwd = join(repo, 'test', 'fixtures'); // node_modules/.bin is two levels up
  const r = await run('tsc', ['--version'], { preferLocal: true, cwd, env: { PATH } });
  assert.equal(r.stdout, `Version ${version}`);
  assert.equal(runSync('tsc', ['--version'], { preferLocal: true, cwd, env: { PATH } }).stdout, `Version ${version}`);
});

test('without preferLocal the project tool is not found, and the error says how to run it', T, async () => {
  const cwd = join(repo, 'test', 'fixtures');
  await assert.rejects(run('tsc', ['--version'], { cwd, env: { PATH } }), (e) => {
    assert.equal(e.code, 'ERR_EXEC_NOT_FOUND');
    assert.match(e.message, /node_modules\/\.bin\/tsc exists: pass `preferLocal: true`/);
    return true;
  });
});

test('the nearest node_modules/.bin wins over PATH, from cwd or from the directory given', T, async (t) => {
  const p = project(t);
  const env = { PATH: `${p.global}${delimiter}${PATH}` };
  assert.equal((await run('mytool', ['x'], { cwd: p.deep, env })).stdout, 'global x');
  assert.equal((await run('mytool', ['x'], { cwd: p.deep, env, preferLocal: true })).stdout, 'local x');
  assert.equal((await run('mytool', { env, preferLocal: p.deep })).stdout, 'local');
  assert.equal((await run('mytool', { env, preferLocal: pathToFileURL(p.dir) })).stdout, 'local');
  assert.equal((await run('mytool', { env, preferLocal: p.global })).stdout, 'global', 'no node_modules up from there');
  // a relative directory is relative to process.cwd(), as every path, not to the cwd option
  const rel = relative(process.cwd(), p.deep);
  assert.equal((await run('mytool', { cwd: p.global, env, preferLocal: rel })).stdout, 'local');
  // through a shell too: the shell searches the same PATH
  assert.equal((await run('mytool', { cwd: p.deep, env, preferLocal: true, shell: true })).stdout, 'local');
});

test("preferLocal puts this process's Node before PATH, and keeps PATH after the local directories", T, async (t) => {
  const p = project(t);
  const r = await run('sh', ['-c', 'echo "$PATH"'], { cwd: p.deep, preferLocal: true, env: { PATH } });
  const dirs = r.stdout.split(delimiter);
  assert.deepEqual(dirs, [join(p.dir, 'node_modules', '.bin'), dirname(process.execPath), ...PATH.split(delimiter)]);
  const node = await run('node', ['-p', 'process.execPath'], { preferLocal: true, env: { PATH: '/nonexistent' } });
  assert.equal(node.stdout, process.execPath);
});

test('preferLocal: false and an unknown value', T, async () => {
  const r = await run('sh', ['-c', 'echo "$PATH"'], { preferLocal: false, env: { PATH } });
  assert.equal(r.stdout, PATH);
  await assert.rejects(run('true', { preferLocal: 3 }), { code: 'ERR_INVALID_OPTION', option: 'preferLocal' });
});
