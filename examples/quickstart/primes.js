// The CPU-heavy work of the demo: count the primes in [from, to) with a
// segmented sieve. Plain JavaScript, so it really occupies a core.
export function countPrimes(from, to) {
  const limit = Math.floor(Math.sqrt(to)) + 1;
  const small = new Uint8Array(limit + 1);
  const base = [];
  for (let i = 2; i <= limit; i++) {
    if (small[i]) continue;
    base.push(i);
    for (let j = i * i; j <= limit; j += i) small[j] = 1;
  }
  const size = to - from;
  const composite = new Uint8Array(size);
  for (const p of base) {
    const start = Math.max(p * p, Math.ceil(from / p) * p);
    for (let j = start; j < to; j += p) composite[j - from] = 1;
  }
  let count = 0;
  for (let i = 0; i < size; i++) if (!composite[i] && from + i >= 2) count++;
  // a second, slower pass keeps each task around 10-20 ms on a laptop core
  let check = 0;
  for (let i = 0; i < size; i += 7) {
    const n = from + i;
    if (n < 2 || composite[i]) continue;
    let prime = true;
    for (let d = 2; d * d <= n && d < 2000; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) check++;
  }
  return { count, check };
}
