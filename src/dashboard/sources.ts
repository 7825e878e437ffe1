// The feeds' sources: a cluster Supervisor (`spindle start`) and a queue node
// (`spindle work`). Each reads the object's one status snapshot and turns its
// lifecycle events into history marks; neither keeps state of its own.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Supervisor } from '../cluster/supervisor.js';
import type { ClusterWorkerStatus, SupervisorStatus } from '../cluster/types.js';
import type { ControlStatusCommon } from '../control/types.js';
import { collectSources } from '../observe/registry.js';
import type { PoolWorkerExitEvent } from '../pool/types.js';
import type { WorkHandle } from '../queue/work.js';
import type { DashboardSource } from './feed.js';
import type { HistoryEvent } from './history.js';
import { type PoolSummary, type SourcesSummary, summarize } from './summary.js';

/** The tasks a cluster worker's pools finished (completed + failed), when it reports them. */
function workerTasks(w: ClusterWorkerStatus): number | null {
  const pools = (w.stats as { pools?: { completed: number; failed: number }[] } | null)?.pools;
  if (!Array.isArray(pools) || pools.length === 0) return null;
  let n = 0;
  for (const p of pools) n += p.completed + p.failed;
  return n;
}

/** A supervisor as a dashboard source. */
export function supervisorSource(sup: Supervisor<any>): DashboardSource {
  return {
    kind: 'start',
    status: () => sup.status(),
    readings: (status) =>
      (status as SupervisorStatus).workers.map((w) => ({
        id: w.id,
        pid: w.pid,
        rss: w.stats?.rss ?? null,
        cpu: w.stats?.cpu ?? null,
        delay: w.stats?.eventLoopDelay.p99 ?? null,
        tasks: workerTasks(w),
      })),
    subscribe(fn) {
      const mark = (kind: HistoryEvent['kind'], worker: number | null, pid: number | null, detail: string) =>
        fn({ t: Date.now(), kind, worker, pid, detail });
      const handlers = {
        workerExit: (e) => {
          if (!e.expected) mark('crash', e.id, e.pid, e.detail);
        },
        workerRestart: (e) =>
          mark('restart', e.id, null, `restart ${e.attempt} after a crash${e.delay > 0 ? `, in ${e.delay} ms` : ''}`),
        workerUnhealthy: (e) => mark('unhealthy', e.id, e.pid, `${e.reason}: ${e.detail}`),
        reloadStart: () => mark('reload', null, null, 'rolling reload started'),
        reloadDone: () => mark('reload-done', null, null, 'reload complete'),
        reloadFailed: (err) => mark('reload-failed', null, null, err.message),
        scale: (r) => mark('scale', null, null, `from ${r.previous} to ${r.workers} workers`),
        closing: () => mark('stop', null, null, 'stopping'),
      } satisfies { [K in keyof SupervisorEventMap]?: (...args: SupervisorEventMap[K]) => void };
      for (const [event, handler] of Object.entries(handlers)) sup.on(event as 'closing', handler as () => void);
      return () => {
        for (const [event, handler] of Object.entries(handlers)) sup.off(event as 'closing', handler as () => void);
      };
    },
  };
}

type SupervisorEventMap = import('../cluster/supervisor.js').SupervisorEvents;

/** A job that failed for good, as the page lists it. */
export interface QueueFailure {
  at: number;
  job: string;
  code: string | null;
  message: string;
}
/** Failures kept per queue, and the characters kept of each message. */
const MAX_FAILURES = 10;
const MAX_FAILURE_MESSAGE = 300;

/**
 * A `spindle work` node as a dashboard source. Its status is the node's own
 * (/status) plus what the page shows for every kind: the node process as its
 * one worker row (its pool's threads share its memory and CPU), and its pool
 * and queue summaries (read in the background: one interval behind).
 */
export function workSource(node: WorkHandle, status: () => ControlStatusCommon): DashboardSource {
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  let cpu = process.cpuUsage();
  let at = performance.now();
  let summary: SourcesSummary = { pools: [], queues: [] };
  let collecting = false;
  const startedAt = Date.now();
  const ms = (ns: number) => Math.max(0, ns / 1e6 - 20);
  const failures: QueueFailure[] = [];
  node.queue.on('failed', ({ jobId, error }) => {
    // The job's own error is the cause of ERR_QUEUE_JOB_FAILED: its code and message are what people look for.
    const e = ((error as Error & { cause?: unknown }).cause ?? error) as Error & { code?: unknown };
    failures.push({
      at: Date.now(),
      job: jobId,
      code: typeof e.code === 'string' ? e.code : null,
      message: String(e.message ?? e).slice(0, MAX_FAILURE_MESSAGE),
    });
    if (failures.length > MAX_FAILURES) failures.shift();
  });
  return {
    kind: 'work',
    status() {
      const now = performance.now();
      const next = process.cpuUsage();
      const used = next.user - cpu.user + (next.system - cpu.system);
      const memory = process.memoryUsage();
      const stats = {
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        cpu: now > at ? (used / 1000 / (now - at)) * 100 : 0,
        cpuSeconds: (next.user + next.system) / 1e6,
        eventLoopDelay: {
          p50: delay.count > 0 ? ms(delay.percentile(50)) : 0,
          p99: delay.count > 0 ? ms(delay.percentile(99)) : 0,
          max: delay.count > 0 ? ms(delay.max) : 0,
        },
        at: Date.now(),
      };
      cpu = next;
      at = now;
      delay.reset();
      if (!collecting) {
        collecting = true;
        collectSources().then(
          (families) => {
            summary = summarize(families);
            collecting = false;
          },
          () => (collecting = false),
        );
      }
      const s = status();
      const row = {
        id: 1,
        pid: process.pid,
        state: node.state === 'running' ? 'ready' : node.state,
        startedAt,
        uptime: Date.now() - startedAt,
        restarts: 0,
        lastExit: null,
        stats,
      };
      const queues = summary.queues.map((q) => (q.name === node.queue.name ? { ...q, failures: [...failures] } : q));
      // The page's rows are the node process; the pool's own workers (its status's `workers`) stay as `poolWorkers`.
      const { workers: poolWorkers, ...rest } = s as ControlStatusCommon & { workers?: unknown };
      return { ...rest, workers: [row], poolWorkers: poolWorkers ?? [], pools: summary.pools, queues };
    },
    readings(status) {
      const { workers, pools } = status as { workers: ClusterWorkerStatus[]; pools: PoolSummary[] };
      const w = workers[0]!;
      let tasks = 0;
      for (const p of pools) tasks += p.completed + p.failed;
      return [
        {
          id: 1,
          pid: w.pid,
          rss: w.stats?.rss ?? null,
          cpu: w.stats?.cpu ?? null,
          delay: w.stats?.eventLoopDelay.p99 ?? null,
          tasks: pools.length > 0 ? tasks : null,
        },
      ];
    },
    subscribe(fn) {
      // A pool worker (thread or process) that died under a task: the pool replaces it.
      const exit = (e: PoolWorkerExitEvent) => {
        if (!e.expected)
          fn({
            t: Date.now(),
            kind: 'crash',
            worker: null,
            pid: e.pid ?? null,
            detail: `pool worker ${e.id} ${e.detail}`,
          });
      };
      node.pool.on('workerExit', exit);
      return () => {
        node.pool.off('workerExit', exit);
        delay.disable();
      };
    },
  };
}
