// What `spindle work --admin` serves besides the control plane's status:
// the metrics of the node (its pool, its queue, and the node process itself).
import { type MetricFamily, render } from './metrics.js';
import { collectSources } from './registry.js';

/** The figures of this process (the node itself). */
export function processFamilies(): MetricFamily[] {
  const m = process.memoryUsage();
  const cpu = process.cpuUsage();
  return [
    {
      name: 'spindle_process_resident_memory_bytes',
      help: "This process's resident memory.",
      type: 'gauge',
      values: [{ labels: {}, value: m.rss }],
    },
    {
      name: 'spindle_process_heap_used_bytes',
      help: "This process's V8 heap in use.",
      type: 'gauge',
      values: [{ labels: {}, value: m.heapUsed }],
    },
    {
      name: 'spindle_process_cpu_seconds_total',
      help: "This process's CPU time (user and system).",
      type: 'counter',
      values: [{ labels: {}, value: (cpu.user + cpu.system) / 1e6 }],
    },
  ];
}

/** The /metrics text of a `spindle work` node: its process, and every pool and queue in it. */
export async function workMetrics(): Promise<string> {
  return render([...processFamilies(), ...(await collectSources())]);
}
