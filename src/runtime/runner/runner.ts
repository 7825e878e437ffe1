// The child side of every runtime: receives task batches, runs them in order
// (up to `concurrency` at once for async tasks) and posts each result before
// it starts the next task, so a worker that dies on task N+1 has already
// delivered the result of task N: a finished task is never lost or re-run.
import { createRequire } from 'node:module';
import { TaskAbortedError, TaskNotFoundError, TaskResultNotCloneableError } from '../../errors/index.js';
import { rebuild, toRemote } from '../../errors/remote.js';
import { runWithMeta, type TaskMeta } from '../../observe/context.js';
import { type ChildInit, Kind, type ParentMessage, TASK_FIELDS, taskMetas } from '../protocol.js';
import { RunningTask, TaskContext } from './context.js';
import { compileInline, isInline } from './inline.js';
import type { TaskFn } from './load.js';

const transferBrand = Symbol.for('spindle.transfer');

export interface Transport {
  /** sends one message to the parent; may throw a DataCloneError */
  post(message: unknown[], transfer?: readonly unknown[]): void;
  /**
   * Marks a task as started; false means the parent took it back (the thread
   * runtime's shared claim words) and it must be skipped.
   */
  claim(slot: number, id: number): boolean;
  /** shared-memory abort check, where the runtime has one */
  abortedNow(task: RunningTask): boolean;
  /** every running task is done after a Close message */
  closed(): void;
  /**
   * Optional gate checked before each task starts: false holds the runner
   * (nothing starts) until the transport calls `resume()`. The process
   * runtime holds until earlier results are written out, so a task that
   * kills its process cannot take them down with it.
   */
  canStart?(): boolean;
  /**
   * Optional fast path for a successful result without a transfer list:
   * true when the transport delivered it (the thread runtime's shared result
   * ring takes numbers, booleans, null and undefined).
   */
  postValue?(slot: number, id: number, value: unknown, runMs: number): boolean;
  /**
   * Optional path for any other result without a transfer list (ok or the
   * wire error): true when the transport delivered it (the thread runtime's
   * shared record ring takes what the codec reproduces exactly).
   */
  postRecord?(slot: number, id: number, ok: boolean, value: unknown, runMs: number): boolean;
}

interface Pending {
  slot: number;
  id: number;
  name: string;
  args: unknown[];
  meta: TaskMeta | null | undefined;
}

const HEAP_CHECK_MS = 100;

export class Runner {
  private readonly queue: Pending[] = [];
  private head = 0;
  private readonly running = new Map<number, RunningTask>();
  private readonly abortedEarly = new Map<number, unknown>();
  private driving = false;
  /** run time of the task that finished last, in ms (the thread entry spins only after short ones) */
  lastRunMs = 0;
  private closing = false;
  private lastHeapCheck = 0;
  private recycleAsked = false;
  private readonly context: TaskContext;
  private readonly handlers: Record<number, (m: ParentMessage) => void> = {
    [Kind.Tasks]: (m) => this.receive(m),
    [Kind.Abort]: (m) => this.abort(m[1] as number, m[2] as number, m[3]),
    [Kind.Close]: () => this.close(),
  };

  constructor(
    private readonly tasks: Map<string, TaskFn>,
    private readonly init: ChildInit,
    private readonly transport: Transport,
  ) {
    // node:async_hooks is loaded only when needed: a worker starts sooner without it
    const als =
      init.concurrency > 1
        ? new (
            createRequire(import.meta.url)('node:async_hooks') as typeof import('node:async_hooks')
          ).AsyncLocalStorage<RunningTask>()
        : undefined;
    this.context = new TaskContext(
      als,
      (t) => transport.abortedNow(t),
      (t, value) => {
        if (this.running.get(t.slot) !== t) return;
        t.progressed = true;
        transport.post([Kind.Progress, t.slot, t.id, value]);
      },
    );
  }

  /** Starts what a held transport (see Transport.canStart) kept waiting. */
  resume(): void {
    this.drive();
  }

  /** True when nothing is running or waiting here. */
  get idle(): boolean {
    return this.running.size === 0 && this.head === this.queue.length;
  }

  /** Entry point for every message from the parent. */
  dispatch(message: ParentMessage): void {
    this.handlers[message[0]]?.(message);
  }

  private receive(m: ParentMessage): void {
    const metas = taskMetas(m);
    const end = metas === undefined ? m.length : m.length - 1;
    for (let i = 1, k = 0; i < end; i += TASK_FIELDS, k++) {
      this.queue.push({
        slot: m[i] as number,
        id: m[i + 1] as number,
        name: m[i + 2] as string,
        args: m[i + 3] as unknown[],
        meta: metas === undefined ? undefined : (metas[k] as TaskMeta | null),
      });
    }
    this.drive();
  }

  /** Starts queued tasks while there is room; re-entrant calls are folded. */
  private drive(): void {
    if (this.driving) return;
    this.driving = true;
    try {
      while (this.running.size < this.init.concurrency && this.head < this.queue.length) {
        if (this.transport.canStart !== undefined && !this.transport.canStart()) return;
        const p = this.queue[this.head]!;
        this.queue[this.head++] = undefined as unknown as Pending;
        if (this.head === this.queue.length) {
          this.queue.length = 0;
          this.head = 0;
        }
        if (!this.transport.claim(p.slot, p.id)) continue;
        this.start(p);
      }
    } finally {
      this.driving = false;
    }
    if (this.closing && this.running.size === 0 && this.head === this.queue.length) this.transport.closed();
  }

  private start(p: Pending): void {
    const task = new RunningTask(p.slot, p.id, p.name);
    const early = this.abortedEarly.get(p.id);
    if (early !== undefined) {
      this.abortedEarly.delete(p.id);
      this.post(task, false, toRemote(new TaskAbortedError(p.name, early)), 0);
      return;
    }
    let fn = this.tasks.get(p.name);
    let args = p.args;
    if (fn === undefined) {
      if (!isInline(p.name)) {
        this.post(task, false, toRemote(new TaskNotFoundError(p.name, [...this.tasks.keys()])), 0);
        return;
      }
      // an inline function: its source comes first, then its arguments
      try {
        fn = compileInline(args[0]);
      } catch (err) {
        this.post(task, false, toRemote(err), 0);
        return;
      }
      args = args.slice(1);
    }
    this.running.set(p.slot, task);
    const t0 = performance.now();
    let result: unknown;
    let then: unknown;
    try {
      const call = fn;
      result = p.meta
        ? runWithMeta(p.meta, () => this.context.call(task, call, args))
        : this.context.call(task, fn, args);
      // a thenable's `then` is user code too: a getter or a call that throws fails this task only
      then =
        result !== null && (typeof result === 'object' || typeof result === 'function')
          ? (result as PromiseLike<unknown>).then
          : undefined;
      if (typeof then === 'function') {
        (then as PromiseLike<unknown>['then']).call(
          result,
          (value) => {
            this.finish(task, true, value, t0);
            this.drive();
          },
          (err) => {
            this.finish(task, false, err, t0);
            this.drive();
          },
        );
      }
    } catch (err) {
      this.finish(task, false, err, t0);
      return;
    }
    if (typeof then !== 'function') this.finish(task, true, result, t0);
  }

  /** Ends a task once: a thenable may call back late, twice, or both ways. */
  private finish(task: RunningTask, ok: boolean, value: unknown, t0: number): void {
    if (task.finished) return;
    task.finished = true;
    const runMs = performance.now() - t0;
    this.lastRunMs = runMs;
    this.running.delete(task.slot);
    this.context.leave(task);
    this.post(task, ok, ok ? value : toRemote(value), runMs);
    if (this.init.maxHeapMb > 0) this.checkHeap();
  }

  /** Posts one result now (never buffered: see the file comment). */
  private post(task: RunningTask, ok: boolean, value: unknown, runMs: number): void {
    let transfer: readonly unknown[] | undefined;
    if (ok && value !== null && typeof value === 'object' && (value as Record<symbol, unknown>)[transferBrand]) {
      const marked = value as { value: unknown; transferList: readonly unknown[] };
      transfer = marked.transferList;
      value = marked.value;
    }
    // A task that posted progress posts its result the same way, so the
    // progress cannot arrive after it (and be dropped).
    if (transfer === undefined && !task.progressed) {
      if (ok && this.transport.postValue?.(task.slot, task.id, value, runMs)) return;
      if (this.transport.postRecord?.(task.slot, task.id, ok, value, runMs)) return;
    }
    try {
      this.transport.post([Kind.Result, task.slot, task.id, ok, value, runMs], transfer);
    } catch (err) {
      const wire = toRemote(new TaskResultNotCloneableError(task.name, err));
      this.transport.post([Kind.Result, task.slot, task.id, false, wire, runMs]);
    }
  }

  private abort(slot: number, id: number, wireReason: unknown): void {
    const reason = rebuild(wireReason);
    const task = this.running.get(slot);
    if (task && task.id === id) {
      task.abort(reason);
      return;
    }
    // Not started yet (runtimes without shared claims send aborts ahead):
    // remember it so the task is answered as aborted instead of run. A task
    // that already finished is in neither place and needs nothing.
    for (let i = this.head; i < this.queue.length; i++) {
      if (this.queue[i]!.id === id) {
        this.abortedEarly.set(id, reason);
        return;
      }
    }
  }

  private close(): void {
    this.closing = true;
    this.drive();
  }

  private checkHeap(): void {
    const now = performance.now();
    if (this.recycleAsked || now - this.lastHeapCheck < HEAP_CHECK_MS) return;
    this.lastHeapCheck = now;
    // the global process: importing 'node:process' costs a worker process ~3 ms at start-up
    const mb = process.memoryUsage().heapUsed / 1048576;
    if (mb > this.init.maxHeapMb) {
      this.recycleAsked = true;
      this.transport.post([Kind.Recycle, Math.round(mb)]);
    }
  }
}
