// /metrics of `spindle start`: the supervisor's own figures, every worker's
// stats (from the status snapshot), and what each worker answers over IPC
// (its pools and queues, and its app's prom-client default registry, which
// is aggregated with the app's own copy of prom-client).
//
// Counters never go backwards when a worker is replaced: the last answer of
// a worker process that is gone keeps counting (its counters and histograms
// are added to what its slot reports next; the app's are aggregated in as
// one more worker). The last answer is that of the last scrape, so nothing a
// scrape showed is ever taken back.
import type { SupervisorStatus } from '../cluster/types.js';
import { appPromClient, loadedPromClient, type PromClient } from './app-metrics.js';
import { cumulative, label, type MetricFamily, merge, render, type Sample } from './metrics.js';
import { collectSources } from './registry.js';

export { METRICS_TOPIC } from './topic.js';

/** What a worker answers. */
export interface WorkerMetricsReply {
  /** Its pools and queues. */
  spindle: MetricFamily[];
  /** Its app's prom-client default registry, or null when the app does not use prom-client. */
  app: MetricFamily[] | null;
}

/** A worker's answer: its pools and queues, and its app's prom-client registry when the app loaded one. */
export async function workerMetrics(script: string | undefined): Promise<WorkerMetricsReply> {
  const client = loadedPromClient(script);
  return {
    spindle: await collectSources(),
    app: client ? JSON.parse(JSON.stringify(await client.register.getMetricsAsJSON())) : null,
  };
}

/** A running worker process the supervisor can ask. */
export interface LiveWorker {
  /** Slot id. */
  id: number;
  pid: number;
  ask(timeout: number): Promise<WorkerMetricsReply>;
}

export interface ClusterMetricsHost {
  status(): SupervisorStatus;
  /** Worker processes that run now (ready or draining). */
  live(): LiveWorker[];
  /** The app's script (its prom-client is found from it). */
  readonly script: string;
}

/** How long a scrape waits for one worker's answer; a late worker counts with its previous answer. */
const ASK_TIMEOUT = 2000;

const STATES = ['starting', 'ready', 'draining', 'stopped', 'waiting', 'failed'] as const;

function gauge(name: string, help: string, values: Sample[]): MetricFamily {
  return { name, help, type: 'gauge', values };
}
function counter(name: string, help: string, values: Sample[]): MetricFamily {
  return { name, help, type: 'counter', values };
}

export class ClusterMetrics {
  /** The last answer of each worker process, by pid. */
  #last = new Map<number, { id: number; reply: WorkerMetricsReply }>();
  /** Counters and histograms of worker processes that are gone (labelled with their slot). */
  #retired: MetricFamily[] = [];
  /** The app's counters and histograms of gone processes, aggregated into one. */
  #retiredApp: MetricFamily[] | null = null;
  /** Per slot: CPU seconds of its earlier processes, and the process last seen. */
  #cpu = new Map<number, { pid: number; last: number; base: number }>();
  #client: PromClient | undefined;

  constructor(private readonly host: ClusterMetricsHost) {}

  async text(): Promise<string> {
    const status = this.host.status();
    const live = this.host.live();
    const answers = await Promise.all(
      live.map((w) =>
        w.ask(ASK_TIMEOUT).then(
          (reply) => {
            this.#last.set(w.pid, { id: w.id, reply });
            return reply;
          },
          () => this.#last.get(w.pid)?.reply,
        ),
      ),
    );
    await this.#retire(new Set(live.map((w) => w.pid)));
    const fromWorkers = live.flatMap((w, i) => {
      const a = answers[i];
      return a ? [label(a.spindle, { worker: w.id })] : [];
    });
    const own = [...this.#supervisor(status), ...this.#workers(status)];
    const spindle = merge(own, ...fromWorkers, this.#retired);
    let text = render(spindle);
    const apps = answers.flatMap((a) => (a?.app ? [a.app] : []));
    if (this.#retiredApp) apps.push(this.#retiredApp);
    if (apps.length > 0) {
      const client = this.#promClient();
      if (client) {
        // One family per name: an app metric named like one of spindle's is left out.
        const taken = new Set(spindle.map((f) => f.name));
        const mine = apps.map((list) => list.filter((f) => !taken.has(f.name)));
        text += await client.AggregatorRegistry.aggregate(mine).metrics();
      }
    }
    return text;
  }

  #promClient(): PromClient | undefined {
    this.#client ??= appPromClient(this.host.script);
    return this.#client;
  }

  /** Moves the last answer of every process that is gone into the retired sums. */
  async #retire(live: Set<number>): Promise<void> {
    for (const [pid, { id, reply }] of this.#last) {
      if (live.has(pid)) continue;
      this.#last.delete(pid);
      this.#retired = merge(this.#retired, cumulative(label(reply.spindle, { worker: id })));
      if (reply.app) {
        const client = this.#promClient();
        const kept = cumulative(reply.app);
        if (client && kept.length > 0) {
          const parts = this.#retiredApp ? [this.#retiredApp, kept] : [kept];
          this.#retiredApp = JSON.parse(
            JSON.stringify(await client.AggregatorRegistry.aggregate(parts).getMetricsAsJSON()),
          ) as MetricFamily[];
        }
      }
    }
  }

  #supervisor(s: SupervisorStatus): MetricFamily[] {
    const byState = new Map<string, number>(STATES.map((st) => [st, 0]));
    for (const w of s.workers) byState.set(w.state, (byState.get(w.state) ?? 0) + 1);
    return [
      gauge(
        'spindle_cluster_workers',
        'Worker slots of the supervisor, by state.',
        [...byState].map(([state, value]) => ({ labels: { state }, value })),
      ),
      counter(
        'spindle_cluster_restarts_total',
        'Worker starts after the first ones (crashes, reloads, replacements).',
        [{ labels: {}, value: s.restarts }],
      ),
      counter('spindle_cluster_reloads_total', 'Rolling reloads, by result.', [
        { labels: { result: 'ok' }, value: s.reloads.ok },
        { labels: { result: 'failed' }, value: s.reloads.failed },
      ]),
      counter('spindle_cluster_crashes_total', 'Worker exits nobody asked for.', [{ labels: {}, value: s.crashes }]),
      gauge('spindle_supervisor_resident_memory_bytes', "The supervisor process's resident memory.", [
        { labels: {}, value: s.supervisor.rss },
      ]),
      counter('spindle_supervisor_cpu_seconds_total', "The supervisor process's CPU time (user and system).", [
        { labels: {}, value: s.supervisor.cpuSeconds },
      ]),
    ];
  }

  #workers(s: SupervisorStatus): MetricFamily[] {
    const rss: Sample[] = [];
    const heap: Sample[] = [];
    const cpu: Sample[] = [];
    const delay: Sample[] = [];
    const elu: Sample[] = [];
    for (const w of s.workers) {
      const st = w.stats;
      const labels = { worker: w.id };
      const c = this.#cpu.get(w.id);
      if (st && w.pid !== null) {
        if (!c) this.#cpu.set(w.id, { pid: w.pid, last: st.cpuSeconds, base: 0 });
        else if (c.pid !== w.pid) this.#cpu.set(w.id, { pid: w.pid, last: st.cpuSeconds, base: c.base + c.last });
        else c.last = Math.max(c.last, st.cpuSeconds);
        rss.push({ labels, value: st.rss });
        heap.push({ labels, value: st.heapUsed });
        delay.push(
          { labels: { ...labels, quantile: '0.5' }, value: st.eventLoopDelay.p50 / 1000 },
          { labels: { ...labels, quantile: '0.99' }, value: st.eventLoopDelay.p99 / 1000 },
          { labels: { ...labels, quantile: '1' }, value: st.eventLoopDelay.max / 1000 },
        );
        elu.push({ labels, value: st.eventLoopUtilization });
      }
      const now = this.#cpu.get(w.id);
      if (now) cpu.push({ labels, value: now.base + now.last });
    }
    return [
      gauge('spindle_worker_resident_memory_bytes', "Each worker process's resident memory.", rss),
      gauge('spindle_worker_heap_used_bytes', "Each worker process's V8 heap in use.", heap),
      counter(
        'spindle_worker_cpu_seconds_total',
        "CPU time of each slot's worker processes (user and system; a replaced process's time stays counted).",
        cpu,
      ),
      {
        name: 'spindle_worker_event_loop_delay_seconds',
        help: "Each worker's event-loop delay over the last stats interval (quantile 1: the maximum).",
        type: 'summary',
        values: delay,
      },
      gauge(
        'spindle_worker_event_loop_utilization',
        "Each worker's event-loop utilization (0 to 1) over the last stats interval.",
        elu,
      ),
    ];
  }
}
