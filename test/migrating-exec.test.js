// The exec sections of docs/migrating.md: each "after" example is a file in
// test/fixtures/migrating/, shown in the doc character for character, and it runs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { shown } from './helpers/migrating.js';

const T = { timeout: 60_000 };
const root = fileURLToPath(new URL('..', import.meta.url));

for (const peer of ['execa', 'tinyexec', 'zx']) {
  const file = `test/fixtures/migrating/${peer}.js`;

  test(`docs/migrating.md shows ${file} as the ${peer} "after" example`, () => {
    assert.equal(shown(file), readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'));
  });

  test(`the ${peer} "after" example runs`, T, async () => {
    const child = spawn(process.execPath, [file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => {
      output += c;
    });
    child.stderr.on('data', (c) => {
      output += c;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, output);
  });
}
