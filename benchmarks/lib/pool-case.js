// Runs one scenario against one library in a fresh process and prints JSON:
//   node lib/pool-case.js <library> <scenario> <rounds>
import { adapters } from './pools.js';
import { burst, sequential } from './scenarios.js';

const [lib, scenario, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 3);
const SIZE = 2;

async function cpu(pool, n, ms) {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, () => pool.run('busy', ms)));
  const ideal = (n * ms) / SIZE;
  return ideal / (performance.now() - t0); // share of ideal scaling
}

async function factorial(pool, n) {
  const t0 = performance.now();
  const ps = new Array(n);
  for (let i = 0; i < n; i++) ps[i] = pool.run('factorial', 1000);
  await Promise.all(ps);
  return n / ((performance.now() - t0) / 1000); // tasks/s
}

async function memory(pool, total) {
  // RSS counts the worker threads' heaps and malloc arenas too: warm up until
  // they have grown to their working size, then measure over `total` tasks.
  const wave = 10_000;
  const mib = (n) => n / 1048576;
  const sample = () => {
    global.gc?.();
    const m = process.memoryUsage();
    return { rss: mib(m.rss), heap: mib(m.heapUsed) };
  };
  const runWave = () => Promise.all(Array.from({ length: wave }, (_, j) => pool.run('echo', j)));
  for (let done = 0; done < 200_000; done += wave) await runWave();
  const before = sample();
  for (let done = 0; done < total; done += wave) await runWave();
  const after = sample();
  return {
    before: before.rss,
    after: after.rss,
    growth: after.rss - before.rss,
    heapBefore: before.heap,
    heapAfter: after.heap,
  };
}

const scenarios = {
  burst: (p) => burst(p, 100_000),
  sequential: (p) => sequential(p, 3000),
  cpu: (p) => cpu(p, 500, 2),
  factorial: (p) => factorial(p, 100_000),
  memory: (p) => memory(p, 1_000_000),
};

const pool = await adapters[lib](SIZE);
const out = [];
const once = scenario === 'memory';
// warm up: JIT, worker start-up, module loading
await burst(pool, 5000);
for (let i = 0; i < (once ? 1 : rounds); i++) out.push(await scenarios[scenario](pool));
await pool.close();
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
