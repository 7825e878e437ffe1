#!/usr/bin/env node
// When should a pool start another worker under load? (issue 16: poolifier
// users pick strategies; piscina users tune idleTimeout.) spindle alone, each
// case in a fresh process, rounds interleaved; prints medians. Not a suite of
// run.js: it measures a decision (docs/pool.md, "Scaling"), not a peer race.
//
//   node benchmarks/scaling.js [--rounds 5]
//
// Cases (minWorkers 1, maxWorkers 4 unless said):
//   bursts       40 bursts of 200 tasks of 20 µs, one every 25 ms (idleTimeout default 10 s)
//   bursts-churn the same with idleTimeout 20 ms: workers die between bursts
//   trickle      1000 tasks of 0.3 ms arriving 1 ms apart: one worker could serve them
//   sustained    400 tasks of 5 ms at once, maxWorkers 2: the second worker is needed
// Reported: workers started after ready(), wall and CPU time of the whole
// process (threads included), and per-burst / per-task latency p50 and p99.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const cases = ['bursts', 'bursts-churn', 'trickle', 'sustained'];

if (process.argv[2] === '--case') {
  console.log(JSON.stringify(await measure(process.argv[3])));
} else {
  const i = process.argv.indexOf('--rounds');
  const rounds = i > 0 ? Number(process.argv[i + 1]) : 5;
  const results = Object.fromEntries(cases.map((c) => [c, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const out = spawnSync(process.execPath, [self, '--case', c], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`case ${c} failed:\n${out.stderr}`);
      results[c].push(JSON.parse(out.stdout));
    }
  }
  const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
  console.table(
    Object.fromEntries(
      cases.map((c) => [
        c,
        Object.fromEntries(
          ['started', 'wallMs', 'cpuMs', 'p50', 'p99'].map((k) => [k, median(results[c].map((x) => x[k]))]),
        ),
      ]),
    ),
  );
}

async function measure(name) {
  const { Pool } = await import('spindle');
  const worker = new URL('./workers/pool/tasks.js', import.meta.url);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const options = { worker, minWorkers: 1, maxWorkers: name === 'sustained' ? 2 : 4 };
  if (name === 'bursts-churn') options.idleTimeout = 20;
  const pool = new Pool(options);
  await pool.ready();
  let started = 0;
  pool.on('workerCreate', () => started++);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const lat = [];
  if (name === 'trickle') {
    const all = [];
    for (let i = 0; i < 1000; i++) {
      const s = performance.now();
      all.push(pool.run('busy', [0.3]).then(() => lat.push(performance.now() - s)));
      await sleep(1);
    }
    await Promise.all(all);
  } else if (name === 'sustained') {
    await Promise.all(Array.from({ length: 400 }, () => pool.run('busy', [5])));
    lat.push(performance.now() - t0);
  } else {
    for (let b = 0; b < 40; b++) {
      const s = performance.now();
      await Promise.all(Array.from({ length: 200 }, () => pool.run('busy', [0.02])));
      lat.push(performance.now() - s);
      await sleep(25);
    }
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await pool.close();
  lat.sort((a, b) => a - b);
  const round = (x) => Math.round(x * 100) / 100;
  return {
    started,
    wallMs: Math.round(wallMs),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    p50: round(lat[lat.length >> 1]),
    p99: round(lat[Math.floor(lat.length * 0.99)]),
  };
}
