// Runs one process-pool scenario against one library in a fresh process and prints JSON:
//   node lib/process-case.js <library> <scenario> <rounds>
import { fork } from 'node:child_process';
import { processAdapters } from './process-pools.js';
import { burst, sequential } from './scenarios.js';

const [lib, scenario, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 3);
const SIZE = 2;

/** ms until SIZE bare node processes have each said they are ready over IPC. */
async function bareStart(file) {
  const t0 = performance.now();
  const children = Array.from({ length: SIZE }, () => fork(new URL(`../workers/process/${file}`, import.meta.url)));
  await Promise.all(children.map((c) => new Promise((r) => c.once('message', r))));
  const ms = performance.now() - t0;
  await Promise.all(
    children.map(
      (c) =>
        new Promise((r) => {
          c.once('exit', r);
          c.disconnect();
        }),
    ),
  );
  return ms;
}

/** ms until a spindle process pool has SIZE workers ready (its module loaded). */
async function spindleStart() {
  const { Pool } = await import('spindle');
  const t0 = performance.now();
  const pool = new Pool({
    worker: new URL('../workers/pool/tasks.js', import.meta.url),
    runtime: 'process',
    minWorkers: SIZE,
    maxWorkers: SIZE,
  });
  await pool.ready();
  const ms = performance.now() - t0;
  await pool.destroy();
  return ms;
}

if (scenario === 'startup') {
  // interleaved in one process so the three share the machine's mood; the first of each is a warm-up
  const starts = { spindle: [], 'bare-esm': [], 'bare-cjs': [] };
  for (let i = 0; i <= rounds; i++) {
    const s = await spindleStart();
    const e = await bareStart('bare.js');
    const c = await bareStart('bare.cjs');
    if (i === 0) continue;
    starts.spindle.push(s);
    starts['bare-esm'].push(e);
    starts['bare-cjs'].push(c);
  }
  process.stdout.write(`${JSON.stringify(starts)}\n`);
  process.exit(0);
}

const scenarios = {
  burst: (p) => burst(p, 20_000),
  sequential: (p) => sequential(p, 2000),
};
const pool = await processAdapters[lib](SIZE);
const out = [];
await burst(pool, 2000); // warm up: JIT, worker start-up, module loading
for (let i = 0; i < rounds; i++) out.push(await scenarios[scenario](pool));
await pool.close();
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
