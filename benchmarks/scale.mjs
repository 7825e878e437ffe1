// Experiment: when to start another worker under load. Bursts of tiny tasks
// and a sustained CPU load, eager (delay 0) vs delayed spawning.
import { Pool } from 'spindle';
const worker = new URL('./scale-tasks.mjs', import.meta.url);
const scenario = process.argv[2];
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let created = 0;
const lat = [];
if (scenario === 'bursts') {
  // 40 bursts of 200 tasks of ~20 µs, one every 25 ms; minWorkers 1, maxWorkers 4
  const pool = new Pool({ worker, minWorkers: 1, maxWorkers: 4, idleTimeout: process.env.IDLE ?? '10s' });
  pool.on('workerCreate', () => created++);
  await pool.ready(); created = 0;
  for (let b = 0; b < 40; b++) {
    const s = performance.now();
    await Promise.all(Array.from({ length: 200 }, () => pool.run('spin', [0.02])));
    lat.push(performance.now() - s);
    await new Promise((r) => setTimeout(r, 25));
  }
  await pool.close();
} else if (scenario === 'trickle') {
  // requests arriving one at a time every 1 ms, each ~0.3 ms of work
  const pool = new Pool({ worker, minWorkers: 1, maxWorkers: 4 });
  pool.on('workerCreate', () => created++);
  await pool.ready(); created = 0;
  const all = [];
  for (let i = 0; i < 1000; i++) {
    const s = performance.now();
    all.push(pool.run('spin', [0.3]).then(() => lat.push(performance.now() - s)));
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(all);
  await pool.close();
} else {
  // sustained: 400 tasks of 5 ms, minWorkers 0, maxWorkers 2 (ramp-up matters)
  const pool = new Pool({ worker, maxWorkers: 2 });
  pool.on('workerCreate', () => created++);
  const s = performance.now();
  await Promise.all(Array.from({ length: 400 }, () => pool.run('spin', [5])));
  lat.push(performance.now() - s);
  await pool.close();
}
const cpu = process.cpuUsage(cpu0);
lat.sort((a, b) => a - b);
console.log(JSON.stringify({ scenario, delay: process.env.SPINDLE_SPAWN_DELAY ?? 0, created, wallMs: Math.round(performance.now() - t0), cpuMs: Math.round((cpu.user + cpu.system) / 1000), p50: +lat[lat.length >> 1].toFixed(2), p99: +lat[Math.floor(lat.length * 0.99)].toFixed(2) }));
