#!/usr/bin/env node
// Runs benchmark suites: `node benchmarks/run.js [suite...]` (default: all).
// Each suite lives in suites/<name>.js and exports `run(args)`; it prints its
// own tables and writes results/<name>.json.
import { readdirSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(join(here, 'suites'))
  .filter((f) => f.endsWith('.js'))
  .map((f) => f.slice(0, -3))
  .sort();
const args = process.argv.slice(2);
const picked = args.filter((a) => !a.startsWith('-'));
const unknown = picked.filter((s) => !all.includes(s));
if (unknown.length) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; valid: ${all.join(', ')}`);
  process.exit(2);
}
console.log(`node ${process.version}, ${availableParallelism()} cpus (${cpus()[0]?.model ?? '?'})`);
for (const name of picked.length ? picked : all) {
  console.log(`\n## suite: ${name}`);
  const suite = await import(join(here, 'suites', `${name}.js`));
  await suite.run(args.filter((a) => a.startsWith('-')));
}
