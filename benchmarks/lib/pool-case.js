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

async function memory(pool, total, arg = (j) => j) {
  // RSS counts the worker threads' heaps and malloc arenas too: warm up until
  // they have grown to their working size, then measure over `total` tasks.
  const wave = 10_000;
  const mib = (n) => n / 1048576;
  const sample = () => {
    global.gc?.();
    const m = process.memoryUsage();
    return { rss: mib(m.rss), heap: mib(m.heapUsed) };
  };
  const runWave = () => Promise.all(Array.from({ length: wave }, (_, j) => pool.run('echo', arg(j))));
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

/**
 * CPU the whole process (pool thread and workers) uses while the pool idles:
 * a burst and some awaited tasks, then 1 s for every watch window to pass,
 * then process.cpuUsage() over 2 s; share of one core.
 */
async function idle(pool) {
  await burst(pool, 5000, obj);
  await sequential(pool, 200, obj);
  await new Promise((r) => setTimeout(r, 1000));
  const before = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 2000));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / (performance.now() - t0);
}

/** The object argument of the object scenarios: { v: i }. */
const obj = (i) => ({ v: i });

const scenarios = {
  'burst-obj': (p) => burst(p, 100_000, obj),
  'sequential-obj': (p) => sequential(p, 3000, obj),
  idle,
  'memory-obj': (p) => memory(p, 1_000_000, obj),
  burst: (p) => burst(p, 100_000),
  sequential: (p) => sequential(p, 3000),
  cpu: (p) => cpu(p, 500, 2),
  factorial: (p) => factorial(p, 100_000),
  memory: (p) => memory(p, 1_000_000),
};

const pool = await adapters[lib](SIZE);
const out = [];
const once = scenario === 'memory' || scenario === 'memory-obj' || scenario === 'idle';
// warm up: JIT, worker start-up, module loading
await burst(pool, 5000);
for (let i = 0; i < (once ? 1 : rounds); i++) out.push(await scenarios[scenario](pool));
await pool.close();
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
