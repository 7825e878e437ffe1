import { adapters } from './lib/pools.js';
const pool = await adapters[process.argv[2]](2);
const t0 = performance.now();
const n = 20000;
await Promise.all(Array.from({ length: n }, () => pool.run('factorial', 1000)));
console.log(process.argv[2], Math.round(n / ((performance.now() - t0) / 1000)));
await pool.close();
process.exit(0);
