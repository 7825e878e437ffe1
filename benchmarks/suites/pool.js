// Thread pools side by side: spindle vs piscina, tinypool, workerpool,
// poolifier and a raw worker_threads round-robin, pool size 2, one run.
// Each (library, scenario) runs in a fresh process (lib/pool-case.js);
// libraries are interleaved over passes so they share the machine's mood.
import { fileURLToPath } from 'node:url';
import { collectCases, runCase, table, writeJson } from '../lib/report.js';

const caseFile = fileURLToPath(new URL('../lib/pool-case.js', import.meta.url));
const libs = ['spindle', 'raw', 'piscina', 'tinypool', 'workerpool', 'poolifier'];
const peers = ['piscina', 'tinypool', 'workerpool', 'poolifier'];

export async function run(flags) {
  const quick = flags.includes('--quick');
  const passes = quick ? 1 : 2;
  const rounds = quick ? 2 : 3;
  const results = {};

  // 1. tiny-task burst (tasks/s, higher is better)
  const burst = collectCases(caseFile, libs, 'burst', { passes, rounds, nodeArgs: ['--expose-gc'] });
  const bestPeer = Math.max(...peers.map((p) => burst[p]));
  results.burst = burst;
  table(
    '1. tiny-task burst: 100k tasks returning their argument, submitted at once (tasks/s)',
    libs.map((l) => ({ library: l, 'tasks/s': burst[l], 'vs spindle': burst[l] / burst.spindle })),
  );
  console.log(
    `spindle / fastest peer = ${(burst.spindle / bestPeer).toFixed(2)}x (bar >= 3); spindle / raw = ${(burst.spindle / burst.raw).toFixed(2)}x (bar >= 1)`,
  );

  // 2. sequential latency (median µs per awaited task, lower is better)
  const seq = collectCases(caseFile, libs, 'sequential', { passes, rounds, nodeArgs: ['--expose-gc'] });
  const bestSeq = Math.min(...peers.map((p) => seq[p]));
  results.sequential = seq;
  table(
    '2. sequential latency: await one tiny task at a time (median µs)',
    libs.map((l) => ({ library: l, 'median µs': seq[l], 'vs spindle': seq[l] / seq.spindle })),
  );
  console.log(`spindle / fastest peer = ${(seq.spindle / bestSeq).toFixed(2)}x (bar <= 1)`);

  // 3. CPU-bound scaling (share of ideal, higher is better)
  const cpu = collectCases(caseFile, libs, 'cpu', { passes, rounds, nodeArgs: ['--expose-gc'] });
  results.cpu = cpu;
  table(
    '3. CPU-bound: 500 tasks of 2 ms busy loop over 2 workers (share of ideal scaling)',
    libs.map((l) => ({ library: l, 'share of ideal': cpu[l] })),
  );
  console.log(`spindle = ${(cpu.spindle * 100).toFixed(1)}% of ideal (bar >= 97%)`);

  // 4. poolifier's own benchmark workload (tasks/s)
  const fact = collectCases(caseFile, libs, 'factorial', {
    passes: 1,
    rounds: quick ? 1 : 2,
    nodeArgs: ['--expose-gc'],
  });
  results.factorial = fact;
  table(
    "4. poolifier's workload: 100k tasks of factorial(1000) on BigInt (tasks/s)",
    libs.map((l) => ({ library: l, 'tasks/s': fact[l], 'vs spindle': fact[l] / fact.spindle })),
  );

  // 5. memory over 1M tiny tasks through one pool (spindle only; MiB)
  const [mem] = runCase(caseFile, 'spindle', 'memory', 1, ['--expose-gc']);
  results.memory = mem;
  table('5. 1M tiny tasks through one spindle pool, in waves of 10k, after 200k warm-up (MiB)', [
    {
      'RSS before': mem.before,
      'RSS after': mem.after,
      'RSS growth': mem.growth,
      'main heap before': mem.heapBefore,
      'main heap after': mem.heapAfter,
    },
  ]);

  // 6. object arguments ({ v: i }): spindle's shared-memory rings vs raw postMessage (issue 18)
  const vs = ['spindle', 'raw'];
  const seqObj = collectCases(caseFile, vs, 'sequential-obj', { passes, rounds, nodeArgs: ['--expose-gc'] });
  const burstObj = collectCases(caseFile, vs, 'burst-obj', { passes, rounds, nodeArgs: ['--expose-gc'] });
  results.objects = { sequential: seqObj, burst: burstObj, cpu: cpu.spindle / cpu.raw };
  table('6. object arguments { v: i }: spindle vs raw postMessage in the same run', [
    {
      scenario: 'sequential (median µs)',
      spindle: seqObj.spindle,
      raw: seqObj.raw,
      'spindle / raw': seqObj.spindle / seqObj.raw,
      bar: '<= 0.3',
    },
    {
      scenario: 'burst of 100k (tasks/s)',
      spindle: burstObj.spindle,
      raw: burstObj.raw,
      'spindle / raw': burstObj.spindle / burstObj.raw,
      bar: '>= 2',
    },
    {
      scenario: '2 ms CPU-bound (share of ideal, from 3.)',
      spindle: cpu.spindle,
      raw: cpu.raw,
      'spindle / raw': cpu.spindle / cpu.raw,
      bar: '>= 0.99',
    },
  ]);

  // 7. idle CPU after the watch window, and memory over 1M object tasks (spindle only)
  const [idleCpu] = runCase(caseFile, 'spindle', 'idle', 1, ['--expose-gc']);
  const [memObj] = runCase(caseFile, 'spindle', 'memory-obj', 1, ['--expose-gc']);
  results.idle = idleCpu;
  results.memoryObj = memObj;
  table('7. idle pool (share of one core, 2 s from 1 s after the last task; bar <= 0.01) and 1M { v: i } tasks (MiB)', [
    {
      'idle CPU': idleCpu,
      'RSS before': memObj.before,
      'RSS after': memObj.after,
      'RSS growth': memObj.growth,
      'main heap before': memObj.heapBefore,
      'main heap after': memObj.heapAfter,
    },
  ]);

  writeJson('pool', results);
}
