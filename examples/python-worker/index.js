// A spindle Pool whose workers are long-lived Python processes speaking the
// line protocol (docs/protocol.md). Run: node examples/python-worker/index.js
import { fileURLToPath } from 'node:url';
import { Pool } from 'spindle';

/**
 * The tasks tasks.py serves, typed for this side.
 * @typedef {{
 *   word_stats(text: string, top?: number): { words: number, top: [string, number][] },
 *   primes_below(n: number): number,
 *   divide(a: number, b: number): number,
 * }} PythonTasks
 */

const script = fileURLToPath(new URL('./tasks.py', import.meta.url));
/** @type {Pool<PythonTasks>} */
const pool = new Pool({ command: ['python3', script], maxWorkers: 2, stdio: 'prefix' });

const text = 'the quick brown fox jumps over the lazy dog and the dog sleeps';
const [stats, ...counts] = await Promise.all([
  pool.run('word_stats', [text, 2]),
  ...[20_000, 30_000, 40_000].map((n) => pool.run('primes_below', [n])),
]);
console.log(`words: ${stats.words}, most common: ${stats.top.map(([w, n]) => `${w} (${n})`).join(', ')}`);
console.log(`primes below 20k/30k/40k: ${counts.join(' / ')}`);

try {
  await pool.run('divide', [1, 0]);
} catch (err) {
  console.log(`divide(1, 0) failed in Python: ${err.name}: ${err.message}`);
}

try {
  await pool.run('primes_below', [50_000_000], { timeout: 200 });
} catch (err) {
  console.log(`a long count stopped after its timeout: ${err.code}`);
}

console.log(`tasks done: ${pool.stats.completed}, failed: ${pool.stats.failed}`);
await pool.close();
