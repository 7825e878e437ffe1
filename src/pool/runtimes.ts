// Picks the runtime a pool's workers are made of. The only place that names them.

import { CommandHandle } from '../runtime/process/command.js';
import { NodeProcessHandle } from '../runtime/process/handle.js';
import { ThreadHandle } from '../runtime/thread/handle.js';
import type { RuntimeFactory } from '../runtime/types.js';
import type { ResolvedOptions } from './options.js';
import type { Task } from './task.js';
import { maxInflight } from './worker.js';

export function runtimeFactory(o: ResolvedOptions): RuntimeFactory<Task> {
  const limits = { concurrency: o.concurrency, maxInflight: maxInflight(o.concurrency) };
  if (o.command) {
    const command = o.command;
    const options = { ...limits, env: o.env, cwd: o.cwd, stdio: o.stdio, killGrace: o.killGrace, command };
    return (id, sink) => new CommandHandle<Task>(id, sink, options);
  }
  const shared = {
    ...limits,
    url: o.url,
    maxHeapMb: o.maxHeapMb,
    workerData: o.workerData,
    env: o.env,
    execArgv: o.execArgv,
  };
  if (o.runtime === 'process') {
    const options = { ...shared, cwd: o.cwd, stdio: o.stdio, killGrace: o.killGrace };
    return (id, sink) => new NodeProcessHandle<Task>(id, sink, options);
  }
  return (id, sink) => new ThreadHandle<Task>(id, sink, { ...shared, resourceLimits: o.resourceLimits });
}
