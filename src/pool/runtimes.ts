// Picks the runtime a pool's workers are made of. The only place that names them.
import type { RuntimeFactory } from '../runtime/types.js';
import { CommandHandle } from '../runtime/process/command.js';
import { NodeProcessHandle } from '../runtime/process/handle.js';
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

/** Flags a forked worker must not inherit: a debugger port is the parent's, a second bind fails. */
const parentOnly = /^--(inspect|inspect-brk|inspect-port|debug-port)(=|$)/;

export function runtimeFactory(o: ResolvedOptions): RuntimeFactory<Task> {
  const limits = { concurrency: o.concurrency, maxInflight: maxInflight(o.concurrency) };
  if (o.command) {
    const command = o.command;
    const common = { ...limits, env: o.env, cwd: o.cwd, stdio: o.stdio, killGrace: o.killGrace };
    return (id, sink) => new CommandHandle<Task>(id, sink, { ...common, command });
  }
  const module = { ...limits, url: o.url, maxHeapMb: o.maxHeapMb, workerData: o.workerData, env: o.env };
  if (o.runtime === 'process') {
    const options = {
      ...module,
      execArgv: o.execArgv ?? inheritedExecArgv().filter((a) => !parentOnly.test(a)),
      cwd: o.cwd,
      stdio: o.stdio,
      killGrace: o.killGrace,
    };
    return (id, sink) => new NodeProcessHandle<Task>(id, sink, options);
  }
  const options = { ...module, execArgv: o.execArgv ?? inheritedExecArgv(), resourceLimits: o.resourceLimits };
  return (id, sink) => new ThreadHandle<Task>(id, sink, options);
}
