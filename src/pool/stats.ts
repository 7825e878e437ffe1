import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
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
  failed = 0;
  runTotalMs = 0;
  readonly started = performance.now();
  private readonly run = createHistogram();
  private readonly wait = createHistogram();

  /** A task finished on a worker after waiting `waitMs` and running `runMs`. */
  record(runMs: number, waitMs: number): void {
    this.runTotalMs += runMs;
    this.run.record(Math.max(1, Math.round(runMs * 1000)));
    this.wait.record(Math.max(1, Math.round(waitMs * 1000)));
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
