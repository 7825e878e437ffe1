#!/usr/bin/env node
// Runs every test/**/*.test.js with node:test. Node 20's runner takes no globs
// and its default discovery would also pick up fixtures, so list files here.
// Usage: node scripts/test.js [filter...]  (a filter is a substring of the path)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' || e.name === 'types' ? [] : walk(p);
    return e.name.endsWith('.test.js') ? [relative(root, p)] : [];
  });
}

const files = walk(join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// Each file runs in its own process; two at a time keeps a 2-core machine busy
// without starving the worker threads the tests themselves start. Every test
// also carries its own timeout; this is the backstop for a file that hangs.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=120000', ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
