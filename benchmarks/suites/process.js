// Process pools side by side: spindle's process runtime vs tinypool
// (runtime: 'child_process'), workerpool (workerType: 'process') and raw
// fork() + IPC round-robin, pool size 2, one run. Each (library, scenario)
// runs in a fresh process (lib/process-case.js); libraries are interleaved
// over passes so they share the machine's mood.
import { fileURLToPath } from 'node:url';
import { collectCases, median, runCase, table, writeJson } from '../lib/report.js';

const caseFile = fileURLToPath(new URL('../lib/process-case.js', import.meta.url));
const libs = ['spindle-process', 'raw-process', 'raw-process-advanced', 'tinypool-process', 'workerpool-process'];
const peers = ['tinypool-process', 'workerpool-process'];

export async function run(flags) {
  const quick = flags.includes('--quick');
  const passes = quick ? 1 : 3;
  const rounds = quick ? 2 : 3;
  const results = {};

  // 1. tiny-task burst (tasks/s, higher is better)
  const burst = collectCases(caseFile, libs, 'burst', { passes, rounds });
  results.burst = burst;
  table(
    '1. tiny-task burst over 2 processes: 20k tasks returning their argument, submitted at once (tasks/s)',
    libs.map((l) => ({ library: l, 'tasks/s': burst[l], 'vs spindle': burst[l] / burst['spindle-process'] })),
  );
  for (const p of peers)
    console.log(`spindle / ${p} = ${(burst['spindle-process'] / burst[p]).toFixed(2)}x (bar >= 2)`);

  // 2. sequential latency (median µs per awaited task, lower is better)
  const seq = collectCases(caseFile, libs, 'sequential', { passes, rounds });
  results.sequential = seq;
  table(
    '2. sequential latency: await one tiny task at a time (median µs)',
    libs.map((l) => ({ library: l, 'median µs': seq[l], 'vs spindle': seq[l] / seq['spindle-process'] })),
  );
  for (const p of peers) console.log(`spindle / ${p} = ${(seq['spindle-process'] / seq[p]).toFixed(2)}x (bar <= 1)`);

  // 3. start-up: a pool with 2 workers ready vs 2 bare forks that say they are ready (ms, lower is better)
  const starts = { spindle: [], 'bare-esm': [], 'bare-cjs': [] };
  for (let p = 0; p < passes; p++) {
    process.stderr.write(`  startup pass ${p + 1}/${passes}\n`);
    const s = runCase(caseFile, 'spindle-process', 'startup', quick ? 5 : 10);
    for (const k of Object.keys(starts)) starts[k].push(...s[k]);
  }
  const start = Object.fromEntries(Object.entries(starts).map(([k, v]) => [k, median(v)]));
  results.startup = start;
  table('3. start-up: 2 workers ready (median ms)', [
    {
      what: 'spindle Pool, runtime process, minWorkers 2, ready()',
      ms: start.spindle,
      'vs bare ESM fork': start.spindle / start['bare-esm'],
    },
    {
      what: "2 bare fork()s of an ESM script that process.send('ready')",
      ms: start['bare-esm'],
      'vs bare ESM fork': 1,
    },
    {
      what: '2 bare fork()s of a CommonJS script (no ESM loader)',
      ms: start['bare-cjs'],
      'vs bare ESM fork': start['bare-cjs'] / start['bare-esm'],
    },
  ]);
  console.log(`spindle / bare ESM fork = ${(start.spindle / start['bare-esm']).toFixed(2)}x (bar <= 1.1)`);

  writeJson('process', results);
}
