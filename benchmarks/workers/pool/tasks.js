// The task module every pool library runs (each through its own adapter below).
export function echo(x) {
  return x;
}

export function busy(ms) {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n;
}

// poolifier's benchmark workload (benchmarks/benchmarks-utils: factorial on BigInt)
export function factorial(n) {
  let r = 1n;
  for (let i = 2n; i <= BigInt(n); i++) r *= i;
  return r.toString().length;
}

export default function dispatch({ name, arg }) {
  return name === 'echo' ? arg : name === 'busy' ? busy(arg) : factorial(arg);
}
