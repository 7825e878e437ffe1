// Scenarios shared by the pool benchmarks (threads and processes): each takes
// an adapter { run(name, arg) } and returns one measurement.

/** `n` tiny tasks submitted at once; tasks/s. `arg(i)` makes each argument (default: the integer i). */
export async function burst(pool, n, arg = (i) => i) {
  const t0 = performance.now();
  const ps = new Array(n);
  for (let i = 0; i < n; i++) ps[i] = pool.run('echo', arg(i));
  await Promise.all(ps);
  return n / ((performance.now() - t0) / 1000);
}

/** `n` tiny tasks, each awaited before the next; median µs per task. */
export async function sequential(pool, n, arg = (i) => i) {
  const times = new Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await pool.run('echo', arg(i));
    times[i] = performance.now() - t0;
  }
  times.sort((a, b) => a - b);
  return times[n >> 1] * 1000;
}

/**
 * What raw Node gives you: round-robin over `targets` (workers or child
 * processes), a Map of pending promises answered by [id, result] messages.
 */
export function roundRobin(targets, post) {
  const pending = new Map();
  for (const t of targets) {
    t.on('message', ([id, result]) => {
      const p = pending.get(id);
      pending.delete(id);
      p(result);
    });
  }
  let next = 0;
  let rr = 0;
  return (name, arg) =>
    new Promise((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      post(targets[rr++ % targets.length], [id, name, arg]);
    });
}
