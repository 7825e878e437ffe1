// Picks the runtime a pool's workers are made of. The only place that names them.
import type { RuntimeFactory } from '../runtime/types.js';
import { ThreadHandle } from '../runtime/thread/handle.js';
import type { ResolvedOptions } from './options.js';
import type { Task } from './task.js';
import { maxInflight } from './worker.js';

export function runtimeFactory(o: ResolvedOptions): RuntimeFactory<Task> {
  const shared = {
    url: o.url,
    concurrency: o.concurrency,
    maxInflight: maxInflight(o.concurrency),
    maxHeapMb: o.maxHeapMb,
    workerData: o.workerData,
    env: o.env,
    execArgv: o.execArgv,
  };
  return (id, sink) => new ThreadHandle<Task>(id, sink, { ...shared, resourceLimits: o.resourceLimits });
}
