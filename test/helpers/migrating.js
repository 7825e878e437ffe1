// docs/migrating.md and the "after" examples it shows (test/fixtures/migrating/).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

/** The guide's text. */
export const doc = readFileSync(new URL('../../docs/migrating.md', import.meta.url), 'utf8');

/** The ```js block that follows the link to `file` (a path from the repository root) in the guide. */
export function shown(file) {
  const link = doc.indexOf(`](../${file})`);
  assert.notEqual(link, -1, `docs/migrating.md links to ${file}`);
  const start = doc.indexOf('```js\n', link);
  const end = doc.indexOf('```\n', start + 6);
  return doc.slice(start + 6, end);
}
