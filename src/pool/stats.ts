import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { Histogram } from '../observe/metrics.js';
import type { Percentiles } from './types.js';

function summary(h: RecordableHistogram): Percentiles {
  if (h.count === 0) return { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
  // recorded in microseconds, reported in milliseconds
  return {
    p50: h.percentile(50) / 1000,
    p90: h.percentile(90) / 1000,
    p99: h.percentile(99) / 1000,
    max: h.max / 1000,
    mean: h.mean / 1000,
  };
}

/** Counts and duration histograms; O(1) per task (native histograms). */
export class StatsRecorder {
  completed = 0;
  /** every failure, including the three below */
  failed = 0;
  /** failures that were aborts (signal, close or destroy) */
  aborted = 0;
  /** failures that were timeouts */
  timedOut = 0;
  /** failures that were crashes of the worker */
  crashed = 0;
  runTotalMs = 0;
  /** for metrics: the same durations in Prometheus buckets (a few comparisons per task) */
  readonly runBuckets = new Histogram();
  readonly waitBuckets = new Histogram();
  readonly started = performance.now();
  private readonly run = createHistogram();
  private readonly wait = createHistogram();

  /** A task finished on a worker after waiting `waitMs` and running `runMs`. */
  record(runMs: number, waitMs: number): void {
    this.runTotalMs += runMs;
    this.runBuckets.observe(runMs);
    this.waitBuckets.observe(waitMs);
    this.run.record(Math.max(1, Math.round(runMs * 1000)));
    this.wait.record(Math.max(1, Math.round(waitMs * 1000)));
  }

  /** Counts a failure by its code (the `outcome` label of spindle_pool_tasks_total). */
  failure(error: unknown): void {
    this.failed++;
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_TASK_ABORTED' || code === 'ERR_POOL_DESTROYED' || code === 'ERR_POOL_CLOSED') this.aborted++;
    else if (code === 'ERR_TASK_TIMEOUT') this.timedOut++;
    else if (code === 'ERR_WORKER_CRASHED') this.crashed++;
  }

  runTime(): Percentiles {
    return summary(this.run);
  }

  waitTime(): Percentiles {
    return summary(this.wait);
  }

  utilization(workers: number): number {
    const elapsed = performance.now() - this.started;
    return workers > 0 && elapsed > 0 ? Math.min(1, this.runTotalMs / (elapsed * workers)) : 0;
  }
}
