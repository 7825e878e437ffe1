import { adapters } from './lib/pools.js';
import { mainThreadCpuMs } from './lib/thread-cpu.js';
const pool = await adapters[process.argv[2] ?? 'spindle'](2);
async function burst(n) { const ps = new Array(n); for (let i = 0; i < n; i++) ps[i] = pool.run('echo', i); await Promise.all(ps); }
await burst(20000);
const c0 = mainThreadCpuMs(); const t0 = performance.now();
for (let i = 0; i < 10; i++) await burst(100000);
const c = mainThreadCpuMs() - c0; const t = performance.now() - t0;
console.log(process.argv[2], 'main cpu us/task', (c * 1000 / 1e6).toFixed(2), 'wall us/task', (t * 1000 / 1e6).toFixed(2));
await pool.close(); process.exit(0);
