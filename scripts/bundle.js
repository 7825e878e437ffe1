#!/usr/bin/env node
// Bundles the worker-process entry into one file after tsc (run by `npm run build`).
// A forked worker pays for every module it loads before it is ready: its ESM
// graph of ~9 small files costs as much start-up time as node's own bootstrap
// varies; one file keeps a process pool's start within ~10% of bare `fork()`s.
// Without esbuild (a build with no dev dependencies) the unbundled entry is kept:
// it works the same, only starts a little slower.
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../dist/runtime/process/entry.js', import.meta.url));
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.warn('scripts/bundle.js: esbuild not installed; the process-worker entry stays unbundled');
  process.exit(0);
}
try {
  await esbuild.build({
    entryPoints: [entry],
    outfile: entry,
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: false,
    // optional peers, loaded only when installed (never bundled in)
    external: ['@opentelemetry/api', 'prom-client'],
    logLevel: 'warning',
  });
} catch (err) {
  // esbuild writes nothing when it fails: the tsc output stays, unbundled
  console.warn(`scripts/bundle.js: bundling failed, the process-worker entry stays unbundled: ${err.message}`);
}
