// Picks the runtime a pool's workers are made of. The only place that names them.

import { CommandHandle } from '../runtime/process/command.js';
import { NodeProcessHandle } from '../runtime/process/handle.js';
import { ThreadHandle } from '../runtime/thread/handle.js';
import type { RuntimeFactory } from '../runtime/types.js';
import { buildEnv } from '../util/env.js';
import type { ResolvedOptions } from './options.js';
import type { Task } from './task.js';
import type { WorkerDataFn } from './types.js';
import { maxInflight } from './worker.js';

/**
 * The environment of a worker starting now: `env` merged over process.env as
 * it is at this moment (undefined when neither `env` nor `extendEnv` was
 * given: the runtime's default, which is the same).
 */
function envOf(o: ResolvedOptions): NodeJS.ProcessEnv | undefined {
  return o.env === undefined && o.extendEnv ? undefined : buildEnv(o.env, o.extendEnv);
}

/**
 * Whether thread workers take tasks and give results through shared-memory
 * rings where the values allow it (runtime/thread/ring.ts; docs/pool.md).
 * On unless SPINDLE_POOL_SHARED=0: a testing knob only (the test suite runs
 * the pool scenarios both ways), read when a pool is created.
 */
function sharedPath(): boolean {
  return process.env.SPINDLE_POOL_SHARED !== '0';
}

export function runtimeFactory(o: ResolvedOptions): RuntimeFactory<Task> {
  const limits = {
    concurrency: o.concurrency,
    maxInflight: maxInflight(o.concurrency),
    errorClasses: o.errorClasses,
  };
  if (o.command) {
    const command = o.command;
    const options = { ...limits, cwd: o.cwd, stdio: o.stdio, killGrace: o.killGrace, command };
    return (id, sink) => new CommandHandle<Task>(id, sink, { ...options, env: envOf(o) });
  }
  const shared = {
    ...limits,
    url: o.url,
    setup: o.setup,
    maxHeapMb: o.maxHeapMb,
    execArgv: o.execArgv,
    killGrace: o.killGrace,
  };
  // per-worker data: a function is called for each worker as it starts (a throw fails the start)
  const data = o.workerData;
  const dataOf =
    typeof data === 'function' ? (id: number): unknown => (data as WorkerDataFn)({ workerId: id }) : () => data;
  if (o.runtime === 'process') {
    const options = { ...shared, cwd: o.cwd, stdio: o.stdio };
    return (id, sink) => new NodeProcessHandle<Task>(id, sink, { ...options, workerData: dataOf(id), env: envOf(o) });
  }
  const options = { ...shared, resourceLimits: o.resourceLimits, shared: sharedPath() };
  return (id, sink) => new ThreadHandle<Task>(id, sink, { ...options, workerData: dataOf(id), env: envOf(o) });
}
