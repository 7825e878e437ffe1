// A pool's metrics source (observe/registry.ts): read at scrape time from
// the counters the pool keeps anyway; nothing here runs per task.
import type { MetricFamily } from '../observe/metrics.js';
import type { MetricSource } from '../observe/registry.js';
import type { PoolCore } from './core.js';

/** The families of one pool, labelled `pool`. A pool dropped without close() stops reporting once collected. */
export function poolSource(name: string, core: PoolCore): MetricSource {
  // Weakly held: a pool the program forgot (never closed, its workers gone idle) can still be collected.
  const ref = new WeakRef(core);
  return {
    kind: 'pool',
    name,
    collect(): MetricFamily[] {
      const c = ref.deref();
      if (!c) return [];
      const pool = { pool: name };
      const s = c.stats;
      let busy = 0;
      for (const w of c.workers) if (w.handle.inflight > 0) busy++;
      const outcome = (o: string, value: number) => ({ labels: { ...pool, outcome: o }, value });
      return [
        {
          name: 'spindle_pool_tasks_total',
          help: 'Tasks settled, by outcome (completed, failed, aborted, timed_out, crashed).',
          type: 'counter',
          values: [
            outcome('completed', s.completed),
            outcome('failed', s.failed - s.aborted - s.timedOut - s.crashed),
            outcome('aborted', s.aborted),
            outcome('timed_out', s.timedOut),
            outcome('crashed', s.crashed),
          ],
        },
        {
          name: 'spindle_pool_queue_size',
          help: 'Tasks waiting in the pool queue (not yet sent to a worker).',
          type: 'gauge',
          values: [{ labels: pool, value: c.queue.size }],
        },
        {
          name: 'spindle_pool_workers',
          help: 'Pool workers, idle or busy (running at least one task).',
          type: 'gauge',
          values: [
            { labels: { ...pool, state: 'idle' }, value: c.workers.length - busy },
            { labels: { ...pool, state: 'busy' }, value: busy },
          ],
        },
        {
          name: 'spindle_pool_task_wait_seconds',
          help: 'Time from run() to the start of the task on a worker.',
          type: 'histogram',
          values: s.waitBuckets.samples('spindle_pool_task_wait_seconds', pool),
        },
        {
          name: 'spindle_pool_task_run_seconds',
          help: 'Time a task ran on its worker.',
          type: 'histogram',
          values: s.runBuckets.samples('spindle_pool_task_run_seconds', pool),
        },
      ];
    },
  };
}
