// The exec sections of docs/migrating.md: each "after" example is a file in
// test/fixtures/migrating/, shown in the doc character for character, and it runs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const T = { timeout: 60_000 };
const root = fileURLToPath(new URL('..', import.meta.url));
const doc = readFileSync(new URL('../docs/migrating.md', import.meta.url), 'utf8');

/** The ```js block that follows the link to `file` in the doc. */
function shown(file) {
  const link = doc.indexOf(`](../${file})`);
  assert.notEqual(link, -1, `docs/migrating.md links to ${file}`);
  const start = doc.indexOf('```js\n', link);
  const end = doc.indexOf('```\n', start + 6);
  return doc.slice(start + 6, end);
}

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
