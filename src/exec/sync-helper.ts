// The thread runSync's commands run on (src/exec/sync.ts). Its caller is blocked in
// Atomics.wait, so this thread runs the ordinary asynchronous run() — timeout,
// process-group kill, bounded drain, maxBuffer, every option — and hands the
// result back through a message port the caller reads synchronously, then wakes it.
import { type MessagePort, workerData } from 'node:worker_threads';
import { toRemote } from '../errors/remote.js';
import { observeTracking } from '../util/reaper.js';
import { guardian } from './guardian.js';
import { type ExecOptions, normalize } from './options.js';
import { ExecProcess } from './process.js';
import type { ExecResult, Output } from './result.js';
import { type ExecLogEntry, logTarget, logToFd, type Verbose } from './verbose.js';

/** What the caller asks for: options already checked there, made cloneable. */
export interface SyncRequest {
  file: string;
  args: string[];
  options: ExecOptions;
  /** `verbose`: the caller's id for this command; 0 when nothing is logged. */
  logId: number;
  /** `verbose` was a function: entries come back with the result for the caller to replay. */
  logFunction: boolean;
}

/** A log entry as it crosses back: the end entry without its result. */
export type WireEntry = Exclude<ExecLogEntry, { type: 'end' }> | Omit<Extract<ExecLogEntry, { type: 'end' }>, 'result'>;

/** The answer: the result (its error as a remote record), or what was thrown; log entries for a function. */
export interface SyncResponse {
  result?: Omit<ExecResult<Output>, 'error'> & { error?: unknown };
  thrown?: unknown;
  entries?: WireEntry[];
}

const { port, flag } = workerData as { port: MessagePort; flag: Int32Array };

// Our own stderr would travel through the blocked caller: write fd 2 directly.
logToFd();
// Commands of a blocked caller cannot rely on its signal listeners: a guardian process ends them if it dies.
observeTracking(guardian());

function respond(response: SyncResponse): void {
  try {
    port.postMessage(response);
  } catch (e) {
    port.postMessage({ thrown: toRemote(e) }); // something in the result cannot be cloned
  }
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

async function handle(req: SyncRequest): Promise<SyncResponse> {
  const { verbose, ...rest } = req.options;
  const o = normalize(rest, { stdin: 'ignore', buffer: true });
  o.buffer = true;
  o.reject = false;
  const entries: WireEntry[] = [];
  if (req.logFunction) {
    o.log = {
      lines: true,
      id: req.logId,
      // The end entry's result is the one sent back: the caller puts it in again.
      write: (e) => entries.push(e.type === 'end' ? { type: e.type, id: e.id, command: e.command, time: e.time } : e),
    };
  } else if (verbose !== undefined && verbose !== false) {
    const target = logTarget(verbose === true ? 'short' : (verbose as Verbose))!;
    o.log = { ...target, id: req.logId };
  }
  const result = await new ExecProcess(req.file, req.args, o);
  const { error, ...fields } = result;
  return {
    result: error ? { ...fields, error: toRemote(error) } : fields,
    ...(req.logFunction ? { entries } : {}),
  };
}

port.on('message', (req: SyncRequest) => {
  handle(req).then(respond, (e) => respond({ thrown: toRemote(e) }));
});
// The caller waits for this before it waits without a limit: a helper that cannot load is reported, not waited for.
Atomics.store(flag, 1, 1);
Atomics.notify(flag, 1);
