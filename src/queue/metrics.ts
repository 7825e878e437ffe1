// A job queue's metrics: counters and histograms its store keeps as jobs run
// on this node, and the job counts by state (the memory store's own; Redis:
// the whole queue's, one round trip per scrape).
import { Histogram, type MetricFamily } from '../observe/metrics.js';
import type { MetricSource } from '../observe/registry.js';

/** Jobs by state, as the store counts them (`queue.counts()`). */
type Counts = Partial<Record<string, number>>;

/** What a store records as it runs jobs. */
export class QueueMetrics {
  retries = 0;
  readonly wait = new Histogram();
  readonly run = new Histogram();
}

/** The families of one queue, labelled `queue`. */
export function queueSource(name: string, metrics: QueueMetrics, counts: () => Counts | Promise<Counts>): MetricSource {
  const queue = { queue: name };
  return {
    kind: 'queue',
    name,
    async collect(): Promise<MetricFamily[]> {
      let c: Counts = {};
      try {
        c = await counts();
      } catch {
        // Redis away: the counts are left out of this scrape, the rest is reported
      }
      return [
        {
          name: 'spindle_queue_jobs',
          help: 'Jobs by state, as queue.counts() reports them (memory store: this process; Redis: the whole queue).',
          type: 'gauge',
          values: Object.entries(c).map(([state, value]) => ({ labels: { ...queue, state }, value: value ?? 0 })),
        },
        {
          name: 'spindle_queue_job_retries_total',
          help: 'Failed attempts of jobs run on this node that were retried.',
          type: 'counter',
          values: [{ labels: queue, value: metrics.retries }],
        },
        {
          name: 'spindle_queue_job_wait_seconds',
          help: 'Time from when a job could run (added, or its delay or backoff over) to its start on this node.',
          type: 'histogram',
          values: metrics.wait.samples('spindle_queue_job_wait_seconds', queue),
        },
        {
          name: 'spindle_queue_job_run_seconds',
          help: 'Time a job attempt ran on this node.',
          type: 'histogram',
          values: metrics.run.samples('spindle_queue_job_run_seconds', queue),
        },
      ];
    },
  };
}
