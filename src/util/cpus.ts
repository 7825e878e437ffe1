import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * CPUs granted by the container's CFS quota, or undefined when unlimited.
 * cgroup v2 writes `max 100000` or `150000 100000` to cpu.max; v1 splits it
 * over cpu.cfs_quota_us (-1 = unlimited) and cpu.cfs_period_us.
 */
export function cgroupCpuQuota(root = '/sys/fs/cgroup'): number | undefined {
  const v2 = read(`${root}/cpu.max`);
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    if (quota === 'max' || !quota || !period) return undefined;
    const q = Number(quota);
    const p = Number(period);
    return q > 0 && p > 0 ? q / p : undefined;
  }
  for (const dir of [`${root}/cpu`, `${root}/cpu,cpuacct`, `${root}/cpuacct,cpu`]) {
    const quota = Number(read(`${dir}/cpu.cfs_quota_us`));
    const period = Number(read(`${dir}/cpu.cfs_period_us`));
    if (Number.isFinite(quota) && Number.isFinite(period)) return quota > 0 && period > 0 ? quota / period : undefined;
  }
  return undefined;
}

/**
 * How many CPUs this process may really use: `os.availableParallelism()`
 * (which honours the affinity mask) capped by the container's CPU quota,
 * rounded up, at least 1. Never `os.cpus().length`, which a container lies about.
 */
export function availableCpus(root?: string): number {
  const parallel = availableParallelism();
  const quota = cgroupCpuQuota(root);
  const limited = quota === undefined ? parallel : Math.min(parallel, Math.ceil(quota));
  return Math.max(1, limited);
}
