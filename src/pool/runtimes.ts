// Picks the runtime a pool's workers are made of. The only place that names them.
import type { RuntimeFactory } from '../runtime/types.js';
import { ThreadHandle } from '../runtime/thread/handle.js';
import type { ResolvedOptions } from './options.js';
import type { Task } from './task.js';
import { maxInflight } from './worker.js';

/**
 * The parent's Node flags minus those that only make sense for the main
 * script: workers inherit process.execArgv, and `--input-type` or `-e code`
 * there make every worker fail to start.
 */
export function inheritedExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-e' || a === '--eval' || a === '-p' || a === '--print' || a === '--input-type') {
      i++; // and its value
      continue;
    }
    if (/^--(eval|print|input-type)=/.test(a)) continue;
    out.push(a);
  }
  return out;
}

export function runtimeFactory(o: ResolvedOptions): RuntimeFactory<Task> {
  const shared = {
    url: o.url,
    concurrency: o.concurrency,
    maxInflight: maxInflight(o.concurrency),
    maxHeapMb: o.maxHeapMb,
    workerData: o.workerData,
    env: o.env,
    execArgv: o.execArgv ?? inheritedExecArgv(),
  };
  return (id, sink) => new ThreadHandle<Task>(id, sink, { ...shared, resourceLimits: o.resourceLimits });
}
