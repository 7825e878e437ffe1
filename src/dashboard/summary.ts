// What the dashboard shows of the pools and queues of a process, read from
// the same metric families /metrics serves (observe/registry.ts): a worker
// puts this small summary in its once-a-second stats report, so the page
// sees task counts move without a metrics scrape (and without asking the
// app's prom-client) every second.
import type { MetricFamily, Sample } from '../observe/metrics.js';

/** Percentiles estimated from a histogram's buckets, ms (null without observations). */
export interface Quantiles {
  p50: number | null;
  p99: number | null;
}

/** One pool of a process. */
export interface PoolSummary {
  name: string;
  queued: number;
  busy: number;
  idle: number;
  /** Tasks settled, by outcome, since the pool started. */
  completed: number;
  failed: number;
  wait: Quantiles;
  run: Quantiles;
}

/** One job queue as a process sees it. */
export interface QueueSummary {
  name: string;
  /** Jobs by state (the memory store: this process; Redis: the whole queue). */
  jobs: Record<string, number>;
  retries: number;
  wait: Quantiles;
  run: Quantiles;
}

export interface SourcesSummary {
  pools: PoolSummary[];
  queues: QueueSummary[];
}

function family(families: MetricFamily[], name: string): Sample[] {
  return families.find((f) => f.name === name)?.values ?? [];
}

/**
 * The q-quantile (0…1) of one labelled histogram, in ms, interpolated within
 * its bucket as Prometheus' histogram_quantile does; the last finite bound
 * when it falls in +Inf.
 */
export function quantile(samples: Sample[], key: string, value: string, q: number): number | null {
  const buckets: { le: number; count: number }[] = [];
  for (const s of samples) {
    if (s.labels[key] !== value || s.metricName === undefined || !s.metricName.endsWith('_bucket')) continue;
    const le = s.labels.le;
    buckets.push({ le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count: s.value });
  }
  buckets.sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return lower * 1000;
      const inBucket = b.count - below;
      const share = inBucket > 0 ? (rank - below) / inBucket : 1;
      return (lower + (b.le - lower) * share) * 1000;
    }
    lower = Number.isFinite(b.le) ? b.le : lower;
    below = b.count;
  }
  return lower * 1000;
}

function sum(samples: Sample[], key: string, value: string, where?: (s: Sample) => boolean): number {
  let n = 0;
  for (const s of samples) if (s.labels[key] === value && (!where || where(s))) n += s.value;
  return n;
}

function names(samples: Sample[], key: string): string[] {
  return [...new Set(samples.map((s) => String(s.labels[key])))].sort();
}

/** Summarises the pool and queue families of one process. */
export function summarize(families: MetricFamily[]): SourcesSummary {
  const tasks = family(families, 'spindle_pool_tasks_total');
  const queueSize = family(families, 'spindle_pool_queue_size');
  const workers = family(families, 'spindle_pool_workers');
  const pWait = family(families, 'spindle_pool_task_wait_seconds');
  const pRun = family(families, 'spindle_pool_task_run_seconds');
  const pools = names([...tasks, ...queueSize], 'pool').map((name) => ({
    name,
    queued: sum(queueSize, 'pool', name),
    busy: sum(workers, 'pool', name, (s) => s.labels.state === 'busy'),
    idle: sum(workers, 'pool', name, (s) => s.labels.state === 'idle'),
    completed: sum(tasks, 'pool', name, (s) => s.labels.outcome === 'completed'),
    failed: sum(tasks, 'pool', name, (s) => s.labels.outcome !== 'completed'),
    wait: { p50: quantile(pWait, 'pool', name, 0.5), p99: quantile(pWait, 'pool', name, 0.99) },
    run: { p50: quantile(pRun, 'pool', name, 0.5), p99: quantile(pRun, 'pool', name, 0.99) },
  }));
  const jobs = family(families, 'spindle_queue_jobs');
  const retries = family(families, 'spindle_queue_job_retries_total');
  const qWait = family(families, 'spindle_queue_job_wait_seconds');
  const qRun = family(families, 'spindle_queue_job_run_seconds');
  const queues = names([...jobs, ...retries], 'queue').map((name) => {
    const byState: Record<string, number> = {};
    for (const s of jobs) if (s.labels.queue === name) byState[String(s.labels.state)] = s.value;
    return {
      name,
      jobs: byState,
      retries: sum(retries, 'queue', name),
      wait: { p50: quantile(qWait, 'queue', name, 0.5), p99: quantile(qWait, 'queue', name, 0.99) },
      run: { p50: quantile(qRun, 'queue', name, 0.5), p99: quantile(qRun, 'queue', name, 0.99) },
    };
  });
  return { pools, queues };
}
