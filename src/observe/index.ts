// Public entry of `spindle/observe`: metrics of the pools and queues of this
// process (text, or registered in a prom-client registry), the admin
// listener, and the context hooks that carry AsyncLocalStorage values (and,
// with @opentelemetry/api, the active span) to where tasks and jobs run.
import type { Pool } from '../pool/pool.js';
import { JobQueue } from '../queue/job-queue.js';
import { type MetricFamily, render } from './metrics.js';
import { allSources, collectSources, type MetricSource } from './registry.js';

export {
  AdminListenError,
  type AnySpindleError,
  type ErrorCode,
  InvalidOptionError,
  isSpindleError,
  type ObserveErrorCode,
  SpindleError,
} from '../errors/index.js';
export {
  ADMIN_TOKEN_ENV,
  type AdminContext,
  type AdminOptions,
  type AdminRoute,
  type AdminServer,
  type AdminTarget,
  type RouteAuth,
  serveAdmin,
} from './admin.js';
export { type ContextValue, contextHook, type TaskMeta } from './context.js';
export { DURATION_BUCKETS, type MetricFamily, type Sample } from './metrics.js';

/** Something with spindle metrics: a Pool or a JobQueue. */
type Named = Pool<any> | JobQueue<any>;

function pick(of: Named | undefined): MetricSource[] {
  const all = allSources();
  if (of === undefined) return all;
  const kind = of instanceof JobQueue ? 'queue' : 'pool';
  const name = of instanceof JobQueue ? of.name : (of as Pool<any>).options.name;
  return all.filter((s) => s.kind === kind && s.name === name);
}

/**
 * The Prometheus text (format 0.0.4) of spindle's metrics in this process:
 * of every Pool and JobQueue, or of one (`metricsText(pool)`: that pool's
 * name; pools of one name add up). For an app that serves its own /metrics.
 */
export async function metricsText(of?: Named): Promise<string> {
  return render(await collectSources(pick(of)));
}

/** The same metrics as data (prom-client's `getMetricsAsJSON()` shape). */
export function metricsJSON(of?: Named): Promise<MetricFamily[]> {
  return collectSources(pick(of));
}

/** Every family name spindle's pools and queues report. */
export const METRIC_NAMES = [
  'spindle_pool_tasks_total',
  'spindle_pool_queue_size',
  'spindle_pool_workers',
  'spindle_pool_task_wait_seconds',
  'spindle_pool_task_run_seconds',
  'spindle_queue_jobs',
  'spindle_queue_job_retries_total',
  'spindle_queue_job_wait_seconds',
  'spindle_queue_job_run_seconds',
] as const;

const TYPES: Record<(typeof METRIC_NAMES)[number], MetricFamily['type']> = {
  spindle_pool_tasks_total: 'counter',
  spindle_pool_queue_size: 'gauge',
  spindle_pool_workers: 'gauge',
  spindle_pool_task_wait_seconds: 'histogram',
  spindle_pool_task_run_seconds: 'histogram',
  spindle_queue_jobs: 'gauge',
  spindle_queue_job_retries_total: 'counter',
  spindle_queue_job_wait_seconds: 'histogram',
  spindle_queue_job_run_seconds: 'histogram',
};

/** The part of a prom-client (15.x) Registry this uses. */
interface PromRegistry {
  registerMetric(metric: unknown): void;
  removeSingleMetric(name: string): void;
}

/**
 * Registers spindle's pool and queue metrics in a prom-client registry (the
 * app's `register`, or one of its own): each family is read from the pools
 * and queues of this process when the registry is scraped. Under `spindle
 * start`, the supervisor already reports them: registering them in the
 * default registry as well is harmless (the supervisor keeps its own family
 * of each name). Returns a function that removes them again.
 */
export function registerMetrics(registry: PromRegistry): () => void {
  if (registry === null || typeof registry !== 'object' || typeof registry.registerMetric !== 'function')
    throw new TypeError('registerMetrics(registry): expected a prom-client Registry');
  let pending: Promise<MetricFamily[]> | undefined;
  // One collection serves every family of one scrape (the registry asks each in turn).
  const families = () => {
    pending ??= collectSources().finally(() => setImmediate(() => (pending = undefined)));
    return pending;
  };
  for (const name of METRIC_NAMES) {
    registry.registerMetric({
      name,
      help: name,
      type: TYPES[name],
      aggregator: 'sum',
      async get() {
        const f = (await families()).find((x) => x.name === name);
        return f ? { ...f, aggregator: 'sum' } : { name, help: name, type: TYPES[name], values: [], aggregator: 'sum' };
      },
      reset() {},
    });
  }
  return () => {
    for (const name of METRIC_NAMES) registry.removeSingleMetric(name);
  };
}
