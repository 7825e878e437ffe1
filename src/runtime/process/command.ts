// Parent side of the line protocol (docs/protocol.md): a long-lived program of
// any language, one per worker, reading tasks from stdin and writing results
// to stdout, one JSON message per line.
import { spawn } from 'node:child_process';
import { TaskNotFoundError, WorkerCrashedError, WorkerProtocolError } from '../../errors/index.js';
import { fromForeign } from '../../errors/remote.js';
import { LineSplitter } from '../../util/lines.js';
import type { WireTask, WorkerSink } from '../types.js';
import { type ProcessCommon, ProcessHandle } from './base.js';

export interface CommandOptions extends ProcessCommon {
  /** the program and its arguments */
  command: readonly string[];
}

/** Longest line accepted from a worker (a result included); past it, the worker is stopped. */
const MAX_LINE = 64 * 1024 * 1024;

type Message = Record<string, unknown>;

export class CommandHandle<T extends WireTask> extends ProcessHandle<T> {
  private ready = false;
  private names = new Set<string>();
  private readonly byId = new Map<number, T>();
  /** tasks that may have been running when the worker broke the protocol: they fail whatever they return */
  private tainted: Set<T> | undefined = undefined;
  /** after an over-long line the rest of the output is dropped (the worker is being stopped) */
  private dropping = false;
  private readonly lines = new LineSplitter('utf8');
  private readonly handlers: Record<string, (m: Message, line: string) => void> = {
    ready: (m, line) => this.onReady(m, line),
    result: (m, line) => this.onResult(m, line, true),
    error: (m, line) => (m.id === undefined ? this.onFatal(m, line) : this.onResult(m, line, false)),
  };

  constructor(id: number, sink: WorkerSink<T>, o: CommandOptions) {
    super(id, sink, o);
    const [file, ...args] = o.command;
    const env = {
      ...(o.env ?? process.env),
      SPINDLE_WORKER_ID: String(id),
      SPINDLE_CONCURRENCY: String(o.concurrency),
    };
    // its own process group, as for Node workers (see handle.ts)
    const child = spawn(file!, args, { env, cwd: o.cwd, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.adopt(child, [child.stdout], false);
    if (child.pid === undefined) return;
    child.stdin.on('error', () => {}); // EPIPE: it stopped reading; its exit tells the rest
    child.stdout.on('data', (chunk: Buffer) => this.read(chunk));
    child.stdout.on('end', () => this.lines.end((line) => this.onLine(line)));
  }

  send(tasks: readonly T[]): void {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.writableEnded || stdin.destroyed) this.flight.seal(); // these never reach it
    let out = '';
    let unknown: T[] | undefined;
    for (const t of tasks) {
      if (!this.names.has(t.name)) {
        (unknown ??= []).push(t);
        continue;
      }
      this.added(t);
      let line: string;
      try {
        line = JSON.stringify({ type: 'task', id: t.id, name: t.name, args: t.args });
      } catch (err) {
        this.unsent(t, err); // a BigInt, a cycle: not JSON
        continue;
      }
      this.byId.set(t.id, t);
      out += `${line}\n`;
    }
    if (out !== '') this.write(out);
    // Answered here, as the Node runner would: the worker said which tasks it
    // has. Later, not now: the pool is in the middle of handing us this batch.
    if (unknown) {
      const names = [...this.names];
      queueMicrotask(() => {
        for (const t of unknown) this.sink.result(this, t, false, new TaskNotFoundError(t.name, names), 0);
      });
    }
  }

  abort(task: T, _reason: unknown): void {
    if (this.byId.get(task.id) === task) this.write(`${JSON.stringify({ type: 'abort', id: task.id })}\n`);
  }

  /** Closing stdin is the request to stop: the program finishes what it was sent and exits. */
  protected requestStop(): boolean {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.writableEnded) return false;
    stdin.end();
    this.flight.seal(); // what the pool sends from now on never reaches it: it runs elsewhere
    return true;
  }

  private write(text: string): void {
    const stdin = this.child?.stdin;
    if (stdin && !stdin.writableEnded && !stdin.destroyed) stdin.write(text);
  }

  private read(chunk: Buffer): void {
    if (this.dropping) return;
    this.lines.write(chunk, (line) => this.onLine(line));
    if (this.lines.pending > MAX_LINE) {
      this.violate(`a line longer than ${MAX_LINE} characters`);
      this.dropping = true;
    }
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    let m: unknown;
    try {
      m = JSON.parse(line);
    } catch {
      this.violate('a line on stdout that is not JSON', line);
      return;
    }
    const type = m !== null && typeof m === 'object' && !Array.isArray(m) ? (m as Message).type : undefined;
    const handler = typeof type === 'string' && Object.hasOwn(this.handlers, type) ? this.handlers[type] : undefined;
    if (!handler) this.violate('a message without a known type (ready, result, error)', line);
    else handler(m as Message, line);
  }

  private onReady(m: Message, line: string): void {
    const tasks = m.tasks;
    if (this.ready) {
      this.violate('a second ready message', line);
      return;
    }
    if (!Array.isArray(tasks) || tasks.some((n) => typeof n !== 'string')) {
      this.violate('a ready message whose `tasks` is not an array of task names', line);
      return;
    }
    this.ready = true;
    this.names = new Set(tasks as string[]);
    this.becameReady();
    this.sink.ready(this, tasks as string[]);
  }

  private onResult(m: Message, line: string, ok: boolean): void {
    const t = typeof m.id === 'number' ? this.byId.get(m.id) : undefined;
    if (!this.ready || t === undefined) {
      this.violate(this.ready ? `a ${m.type} for no task in flight` : `a ${m.type} before the ready message`, line);
      return;
    }
    this.byId.delete(t.id);
    // the line protocol carries no run time: measure it from the inferred start
    const started = this.flight.startedAt(t);
    const runMs = started > 0 ? Math.max(0, performance.timeOrigin + performance.now() - started) : 0;
    if (this.tainted?.has(t)) {
      this.failedTasks++;
      this.settle(t, false, this.taintedError(t), runMs);
    } else this.settle(t, ok, ok ? m.value : fromForeign(m.error, t.name, this.common.errorClasses), runMs);
  }

  /** An error without a task id: the program itself failed (to start, or for good). */
  private onFatal(m: Message, _line: string): void {
    if (this.distrusted) return; // it broke the protocol already: that is why it is being stopped
    const error = fromForeign(m.error, '(worker)', this.common.errorClasses);
    if (!this.ready) {
      this.expectExit();
      this.sink.loadFailed(this, error);
      this.ready = true; // whatever follows is no second load failure
      return;
    }
    this.failure = { reason: 'error', error, detail: `failed: ${error.message}` };
  }

  /**
   * The worker broke the protocol: it is stopped. Whatever it was running
   * fails (its output cannot be trusted); the tasks it was sent ahead still
   * run there and their results count, so none is lost or run twice.
   */
  private violate(problem: string, line?: string): void {
    if (this.distrusted) return;
    this.tainted = new Set(this.flight.started());
    this.broke(new WorkerProtocolError(this.id, problem, line), `broke the line protocol (${problem})`);
  }

  private taintedError(t: T): Error {
    const f = this.failure!;
    return new WorkerCrashedError(
      { workerId: this.id, reason: 'protocol', exitCode: null, detail: `${f.detail} while running task '${t.name}'` },
      { cause: f.error },
    );
  }
}
