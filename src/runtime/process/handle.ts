// Parent side of the process runtime for Node task modules: one forked child
// per worker, speaking the same flat-array messages as threads over an IPC
// channel, structured-cloned (wire.ts says how, and why not 'advanced').
import { fork } from 'node:child_process';
import { toRemote } from '../../errors/remote.js';
import { decodeError } from '../decode.js';
import { inheritedExecArgv } from '../exec-argv.js';
import { type ChildMessage, Kind, PROCESS_BOOT_ENV, RESULT_FIELDS, withMeta } from '../protocol.js';
import type { WireTask, WorkerSink } from '../types.js';
import { type ProcessCommon, ProcessHandle } from './base.js';
import type { ProcessBoot } from './entry.js';
import { relay } from './output.js';
import { decode, encode } from './wire.js';

const entry = new URL('./entry.js', import.meta.url);

export interface NodeProcessOptions extends ProcessCommon {
  url: string;
  /** the setup module's URL, '' for none */
  setup: string;
  maxHeapMb: number;
  workerData: unknown;
  /** undefined: the parent's flags, minus those only its main script or debugger can use */
  execArgv: string[] | undefined;
}

/** Flags a forked worker must not inherit: the debugger port is the parent's, a second bind fails. */
const parentOnly = /^--(inspect|inspect-brk|inspect-port|debug-port)(=|$)/;

export class NodeProcessHandle<T extends WireTask> extends ProcessHandle<T> {
  private readonly handlers: Record<number, (m: ChildMessage) => void> = {
    [Kind.Ready]: (m) => {
      this.becameReady();
      this.sink.ready(this, m[1] as string[]);
    },
    [Kind.LoadError]: (m) => {
      this.expectExit();
      this.sink.loadFailed(this, decodeError('(load)', m[1], this.common.errorClasses), m[2] as string | undefined);
    },
    [Kind.TeardownError]: (m) =>
      this.sink.teardownFailed(this, decodeError('(teardown)', m[1], this.common.errorClasses)),
    [Kind.Result]: (m) => this.results(m),
    [Kind.Recycle]: (m) => this.sink.recycle(this, m[1] as number),
    [Kind.Progress]: (m) => {
      const t = this.flight.find(m[1] as number, m[2] as number);
      if (t !== undefined) this.sink.progress(this, t, m[3]);
    },
    [Kind.Fatal]: (m) => {
      const error = decodeError('(worker)', m[1], this.common.errorClasses);
      this.failure = { reason: 'error', error, detail: `died of an uncaught error: ${error.message}` };
    },
  };

  constructor(id: number, sink: WorkerSink<T>, o: NodeProcessOptions) {
    super(id, sink, o);
    const hasData = o.workerData !== undefined;
    // Fail here, before forking, as a Worker does with workerData it cannot clone.
    const data = hasData ? encode([Kind.Init, o.workerData]) : undefined;
    const boot: ProcessBoot = {
      init: { url: o.url, setup: o.setup, concurrency: o.concurrency, maxHeapMb: o.maxHeapMb, workerId: id },
      workerData: hasData,
      killGrace: o.killGrace,
    };
    const child = fork(entry, [], {
      serialization: 'json',
      execArgv: o.execArgv ?? inheritedExecArgv().filter((a) => !parentOnly.test(a)),
      env: { ...(o.env ?? process.env), [PROCESS_BOOT_ENV]: JSON.stringify(boot) },
      cwd: o.cwd,
      // its own process group: the pool signals it and its grandchildren together,
      // and a terminal's Ctrl+C reaches the parent only, which then stops it
      detached: true,
      stdio: ['ignore', o.stdio === 'inherit' ? 'inherit' : 'pipe', 'pipe', 'ipc'],
    });
    this.adopt(child, [child, child.stdout ?? undefined], true);
    if (child.pid === undefined) return;
    if (child.stdout) relay(child.stdout, process.stdout, o.stdio, id);
    child.channel?.unref();
    child.on('message', (wire: unknown) => {
      let m: ChildMessage;
      try {
        m = decode(wire) as ChildMessage;
      } catch {
        return; // not ours: the task module called process.send() itself
      }
      if (Array.isArray(m)) this.handlers[m[0]]?.(m);
    });
    if (data !== undefined) child.send(data);
  }

  send(tasks: readonly T[]): void {
    const child = this.child!;
    // its channel is gone, it is dying: these never reach it, and its exit puts them back
    if (!child.connected) this.flight.seal();
    const message: unknown[] = [Kind.Tasks];
    let metas = false;
    for (const t of tasks) {
      this.added(t);
      message.push(t.slot, t.id, t.name, t.args);
      if (t.meta !== undefined) metas = true;
    }
    if (metas) message.push(tasks.map((t) => t.meta ?? null));
    if (!child.connected) return;
    try {
      child.send(encode(message));
    } catch {
      // One task in the batch cannot be serialized (nothing was written):
      // send them one by one so only the culprit is reported.
      for (const t of tasks) {
        try {
          child.send(encode(withMeta([Kind.Tasks, t.slot, t.id, t.name, t.args], [t])));
        } catch (err) {
          this.unsent(t, err);
        }
      }
    }
  }

  abort(task: T, reason: unknown): void {
    const child = this.child;
    if (!child?.connected || this.flight.find(task.slot, task.id) !== task) return;
    try {
      child.send(encode([Kind.Abort, task.slot, task.id, toRemote(reason)]));
    } catch {
      // the channel is closing: the exit settles the task
    }
  }

  protected requestStop(): boolean {
    const child = this.child;
    if (!child?.connected) return false;
    try {
      child.send([Kind.Close]);
      return true;
    } catch {
      return false;
    }
  }

  private results(m: ChildMessage): void {
    for (let i = 1; i < m.length; i += RESULT_FIELDS) {
      const t = this.flight.find(m[i] as number, m[i + 1] as number);
      if (t === undefined) continue;
      const ok = m[i + 2] as boolean;
      this.settle(t, ok, ok ? m[i + 3] : decodeError(t.name, m[i + 3], this.common.errorClasses), m[i + 4] as number);
    }
  }
}
