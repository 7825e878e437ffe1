#!/usr/bin/env node
// Usage: node examples/exec-convert/index.js --out DIR FILE...
// Gzips each FILE into DIR, verifies it with sha256sum and prints one JSON line per
// event (progress, done, error). Exits 1 if any file failed. Ctrl+C stops every
// gzip/sha256sum it started.
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { convertAll } from './convert.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string' }, timeout: { type: 'string', default: '60000' }, help: { type: 'boolean' } },
});
if (values.help || !values.out || positionals.length === 0) {
  console.error(
    'Usage: node examples/exec-convert/index.js --out DIR FILE...\n  e.g. --out /tmp/gz README.md docs/*.md',
  );
  process.exit(values.help ? 0 : 2);
}
mkdirSync(values.out, { recursive: true });
const results = await convertAll(positionals, {
  outDir: values.out,
  timeout: Number(values.timeout),
  onEvent: (e) => console.log(JSON.stringify(e)),
});
process.exitCode = results.some((r) => r.event === 'error') ? 1 : 0;
