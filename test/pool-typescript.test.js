// TypeScript apps name their task modules by their compiled name:
// `new URL('./tasks.js', import.meta.url)` in a .ts file means tasks.ts until
// a build writes tasks.js. The pool (and the cluster's script) resolve such a
// path the way TypeScript does (issue 11, item 17).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Pool } from 'spindle';
import { resolveScript } from '../dist/cluster/entry.js';
import { typescriptSource } from '../dist/util/ts-source.js';
import { eachRuntime, fixture, runNode, track } from './helpers.js';

const T = { timeout: 60_000 };

eachRuntime("a worker named './tasks.js' runs tasks.ts when only that exists", T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker: fixture('pool/ts-only/tasks.js'), runtime, maxWorkers: 1 }));
  assert.match(pool.options.path, /ts-only\/tasks\.ts$/);
  assert.equal(await pool.run('greet', ['ts']), 'hello ts from worker 1');
});

test('a .ts app run with tsx creates its pool from a .js URL', T, async () => {
  const main = fileURLToPath(fixture('pool/ts-only/main.ts'));
  const r = await runNode(['--import', 'tsx', main], { ms: 40_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'hello ts from worker 1');
});

test("the mapping is TypeScript's: .js→.ts/.tsx, .mjs→.mts, .cjs→.cts; an existing file always wins", () => {
  const dir = mkdtempSync(join(tmpdir(), 'spindle-ts-'));
  try {
    for (const f of ['a.ts', 'b.tsx', 'c.mts', 'd.cts', 'e.js', 'e.ts']) writeFileSync(join(dir, f), '');
    const at = (f) => join(dir, f);
    assert.equal(typescriptSource(at('a.js')), at('a.ts'));
    assert.equal(typescriptSource(at('b.js')), at('b.tsx'));
    assert.equal(typescriptSource(at('b.jsx')), at('b.tsx'));
    assert.equal(typescriptSource(at('c.mjs')), at('c.mts'));
    assert.equal(typescriptSource(at('d.cjs')), at('d.cts'));
    assert.equal(typescriptSource(at('e.js')), at('e.js'), 'the .js file exists: it is used');
    assert.equal(typescriptSource(at('z.js')), at('z.js'), 'neither exists: unchanged, reported missing');
    assert.equal(typescriptSource(at('a.mjs')), at('a.mjs'), '.mjs never maps to .ts');
    // the cluster's script follows the same rule
    assert.equal(resolveScript('a.js', dir), at('a.ts'));
    assert.throws(() => resolveScript('z.js', dir), { code: 'ERR_CLUSTER_SCRIPT_NOT_FOUND' });
    // and a missing task module is still named as given
    assert.throws(
      () => new Pool({ worker: at('z.js') }),
      (e) => e.code === 'ERR_WORKER_NOT_FOUND' && e.path === at('z.js'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('paths given relative to the working directory resolve the same way', () => {
  const rel = relative(process.cwd(), fileURLToPath(fixture('pool/ts-only/tasks.js')));
  assert.ok(!isAbsolute(rel));
  assert.match(new Pool({ worker: rel }).options.path, /ts-only\/tasks\.ts$/);
});
