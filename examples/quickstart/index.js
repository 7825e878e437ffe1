// spindle quick start: the same CPU-heavy job (counting primes over many
// ranges) once on the main thread and once through a Pool, with the event
// loop's worst delay measured during each run — the reason pools exist.
//
//   npm start                 # from the repository root
//   node examples/quickstart/index.js --ranges 16 --size 200000
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { availableCpus, Pool } from 'spindle';
import { countPrimes } from './primes.js';

const { values } = parseArgs({
  options: {
    ranges: { type: 'string', default: '48' },
    size: { type: 'string', default: '1000000' },
  },
});
const ranges = Number(values.ranges);
const size = Number(values.size);
const inputs = Array.from({ length: ranges }, (_, i) => [i * size, (i + 1) * size]);

/** Runs `job` while sampling the event loop's delay; returns wall ms, worst delay ms and the result. */
async function measure(job) {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  await new Promise((r) => setTimeout(r, 20)); // let the monitor start sampling
  const t0 = performance.now();
  const result = await job();
  const ms = performance.now() - t0;
  // let the monitor take its last sample of a main thread that was blocked
  await new Promise((r) => setTimeout(r, 20));
  delay.disable();
  return { ms, worstDelay: delay.max / 1e6, result };
}

const total = (parts) => parts.reduce((sum, p) => sum + p.count, 0);

console.log(
  `Counting primes below ${(ranges * size).toLocaleString('en-US')} in ${ranges} ranges of ${size.toLocaleString('en-US')}\n`,
);

const main = await measure(async () => total(inputs.map(([from, to]) => countPrimes(from, to))));

// one worker per core this process may use (container quotas included),
// all started up front: start-up is a one-off cost, not part of each job
const cores = availableCpus();
const pool = new Pool({ worker: new URL('./primes.js', import.meta.url), minWorkers: cores, maxWorkers: cores });
await pool.ready();
const pooled = await measure(async () =>
  total(await Promise.all(inputs.map((range) => pool.run('countPrimes', range)))),
);
const { maxWorkers } = pool.options;
await pool.close();

const rows = [
  ['', 'wall time', 'speed-up', 'worst event-loop delay', 'primes found'],
  [
    'main thread',
    `${main.ms.toFixed(0)} ms`,
    '1.00x',
    `${main.worstDelay.toFixed(0)} ms`,
    main.result.toLocaleString('en-US'),
  ],
  [
    `Pool (${maxWorkers} workers)`,
    `${pooled.ms.toFixed(0)} ms`,
    `${(main.ms / pooled.ms).toFixed(2)}x`,
    `${pooled.worstDelay.toFixed(0)} ms`,
    pooled.result.toLocaleString('en-US'),
  ],
];
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const [i, r] of rows.entries()) {
  console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   '));
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('   '));
}
if (main.result !== pooled.result) {
  console.error('\nThe two runs disagree: this is a bug.');
  process.exit(1);
}
console.log(
  `\nWhile the main thread did the work, the event loop could not answer anything for up to ${main.worstDelay.toFixed(0)} ms;` +
    `\nthrough the pool it stayed responsive (worst delay ${pooled.worstDelay.toFixed(0)} ms).`,
);
