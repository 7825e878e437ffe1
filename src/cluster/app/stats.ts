// Inside a worker: what the supervisor shows per worker (spindle status, and
// the metrics and dashboard built on it), measured where it happens and sent
// once per interval in one small IPC message. Cheap by design: counters the
// process keeps anyway (cpuUsage, memoryUsage, event-loop utilisation) plus
// one histogram timer for the event-loop delay, sampled every 20 ms.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { type SourcesSummary, summarize } from '../../dashboard/summary.js';
import { allSources, collectSources } from '../../observe/registry.js';
import type { StatsMessage, ToPrimaryMessage } from '../protocol.js';

/** The event-loop delay histogram's sampling period (ms): it records each period's actual length. */
const RESOLUTION = 20;

/** Starts reporting every `interval` ms (unref'd: it never keeps the worker alive). */
export function startStats(post: (m: ToPrimaryMessage) => boolean, interval: number): void {
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION });
  delay.enable();
  let elu = performance.eventLoopUtilization();
  let cpu = process.cpuUsage();
  let at = performance.now();
  // The histogram holds whole periods (20 ms when idle); the delay is what is beyond one.
  const ms = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION);
  const report = () => {
    const now = performance.now();
    const nextElu = performance.eventLoopUtilization();
    const nextCpu = process.cpuUsage();
    const used = nextCpu.user - cpu.user + (nextCpu.system - cpu.system); // µs
    const memory = process.memoryUsage();
    const m: StatsMessage = {
      $spindle: 'stats',
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      cpu: now > at ? (used / 1000 / (now - at)) * 100 : 0,
      cpuSeconds: (nextCpu.user + nextCpu.system) / 1e6,
      delayP50: delay.count > 0 ? ms(delay.percentile(50)) : 0,
      delayP99: delay.count > 0 ? ms(delay.percentile(99)) : 0,
      delayMax: delay.count > 0 ? ms(delay.max) : 0,
      elu: performance.eventLoopUtilization(nextElu, elu).utilization,
    };
    elu = nextElu;
    cpu = nextCpu;
    at = now;
    delay.reset();
    // Only a process with pools or queues pays for this: a read of their
    // counters (and, for a Redis queue, one round trip for its job counts).
    // The report carries the summary of the previous interval, so it never waits.
    if (summary) m.sources = summary;
    post(m);
    const sources = allSources();
    if (sources.length === 0) summary = undefined;
    else if (!collecting) {
      collecting = true;
      collectSources(sources).then(
        (families) => {
          summary = summarize(families);
          collecting = false;
        },
        () => (collecting = false),
      );
    }
  };
  let summary: SourcesSummary | undefined;
  let collecting = false;
  setInterval(report, interval).unref();
}
