// The demo pool's task (scripts/dashboard-demo.mjs): a little CPU per call.
export function work(n) {
  let x = 0;
  for (let i = 0; i < n; i++) x = (x * 31 + i) % 1_000_003;
  return x;
}
