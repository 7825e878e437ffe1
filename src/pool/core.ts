// The pool's logic, independent of what a worker is made of: queueing,
// dispatch (send ahead in batches), taking work back for idle workers,
// abort/timeout, crash reconciliation, recycling and scaling. It talks to
// workers only through WorkerHandle (runtime/types.ts).
import {
  type CrashReason,
  PoolDestroyedError,
  TaskAbortedError,
  TaskNotCloneableError,
  TaskTimeoutError,
  WorkerCrashedError,
  WorkerLoadError,
} from '../errors/index.js';
import type { ExitInfo, RuntimeFactory, WorkerHandle, WorkerSink } from '../runtime/types.js';
import type { ResolvedOptions } from './options.js';
import { TaskQueue } from './queue.js';
import { StatsRecorder } from './stats.js';
import { State, type Task } from './task.js';
import { PoolWorker } from './worker.js';

/** What the core reports to the public Pool (which owns the EventEmitter). */
export interface CoreEvents {
  emit(event: string, ...args: unknown[]): void;
  listens(event: string): boolean;
}

/** Payload of the pool's 'workerExit' event. */
export interface WorkerExitEvent {
  id: number;
  reason: CrashReason;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  detail: string;
  expected: boolean;
}

/** Workers that die before delivering anything, in a row, before the pool stops respawning. */
const BARREN_EXITS_LIMIT = 3;

const epochNow = (): number => performance.timeOrigin + performance.now();

export class PoolCore implements WorkerSink<Task> {
  readonly queue = new TaskQueue<Task>();
  readonly workers: PoolWorker<Task>[] = [];
  readonly stats = new StatsRecorder();
  taskNames: Set<string> | undefined = undefined;
  /** set when the module cannot be loaded: the pool stops starting workers */
  broken: Error | undefined = undefined;
  accepting = true;
  destroyed = false;
  private readonly byHandle = new Map<WorkerHandle<Task>, PoolWorker<Task>>();
  private nextWorkerId = 1;
  private scheduled = false;
  private barrenExits = 0;
  private readyWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly pumpNow = (): void => this.pump();

  constructor(
    private readonly o: ResolvedOptions,
    private readonly factory: RuntimeFactory<Task>,
    private readonly events: CoreEvents,
  ) {}

  // ------------------------------------------------------------ submission

  submit(task: Task): void {
    this.queue.push(task);
    if (task.signal) {
      task.onAbort = () => this.abort(task, new TaskAbortedError(task.name, task.signal!.reason), task.signal!.reason);
      task.signal.addEventListener('abort', task.onAbort, { once: true });
    }
    if (this.scheduled) return;
    // A lone task and an idle worker: send it now rather than a microtask
    // later (one task awaited at a time is the common case for latency).
    if (this.queue.size === 1) {
      for (const w of this.workers) {
        if (this.isIdle(w)) {
          this.fill(w, 1, false);
          return;
        }
      }
    }
    this.scheduled = true;
    queueMicrotask(this.pumpNow);
  }

  /** Starts workers up to minWorkers (at construction, and after exits). */
  ensureMinWorkers(): void {
    while (this.accepting && !this.broken && this.liveWorkers() < this.o.minWorkers) this.spawn();
  }

  // ------------------------------------------------------------ dispatch

  /**
   * Hands queued tasks to workers: first to workers with a free running slot,
   * then to new workers if the pool may grow, then ahead to busy workers,
   * spreading evenly at each step. Whatever is left idle then takes back
   * work sent ahead elsewhere.
   */
  private pump(): void {
    this.scheduled = false;
    if (this.destroyed) return;
    if (this.queue.size > 0) {
      const c = this.o.concurrency;
      this.share((w) => w.ready && w.handle.inflight < c);
      if (this.queue.size > 0 && !this.broken) {
        const n = Math.min(this.o.maxWorkers - this.liveWorkers(), this.queue.size);
        for (let i = 0; i < n; i++) this.spawn();
      }
      this.share(() => true);
    }
    if (this.queue.size === 0) for (const w of this.workers) if (this.isIdle(w)) this.steal(w);
  }

  /** Splits the queue evenly over the workers that `pick` selects (each up to its room). */
  private share(pick: (w: PoolWorker<Task>) => boolean): void {
    const chosen = this.workers.filter((w) => w.usable && pick(w));
    for (let i = 0; i < chosen.length && this.queue.size > 0; i++) {
      this.fill(chosen[i]!, Math.ceil(this.queue.size / (chosen.length - i)));
    }
  }

  private fill(w: PoolWorker<Task>, limit = Number.POSITIVE_INFINITY, drainEvent = true): void {
    let n = Math.min(limit, w.room(this.o.concurrency, this.o.afterTasks));
    if (n <= 0 || this.queue.size === 0) return;
    const batch: Task[] = [];
    for (; n > 0; n--) {
      const t = this.queue.shift();
      if (t === undefined) break;
      t.state = State.Sent;
      t.worker = w;
      if (t.timeout > 0) t.timer = setTimeout(this.checkTimeout, t.timeout, t);
      batch.push(t);
    }
    w.sent += batch.length;
    w.idleSince = 0;
    if (w.sent >= this.o.afterTasks) {
      w.retiring = true;
      w.stopDetail = `was recycled after ${this.o.afterTasks} tasks`;
    }
    w.handle.send(batch);
    if (drainEvent && this.queue.size === 0) this.emitDrain();
  }

  /** An idle worker takes back half of the tasks waiting unstarted at the busiest worker. */
  private steal(thief: PoolWorker<Task>): void {
    const c = this.o.concurrency;
    let victim: PoolWorker<Task> | undefined;
    let most = 0;
    for (const v of this.workers) {
      if (v === thief || !v.handle.canRevoke) continue;
      const waiting = v.handle.inflight - c;
      if (waiting > most) {
        most = waiting;
        victim = v;
      }
    }
    if (!victim) return;
    const list = victim.handle.tasks();
    let n = Math.ceil(most / 2);
    for (let i = list.length - 1; i >= 0 && n > 0; i--) {
      const t = list[i]!;
      if (t.state !== State.Sent) continue;
      if (!victim.handle.revoke(t)) break; // it started, and so did every older one
      this.requeue(t);
      n--;
    }
    this.fill(thief);
  }

  private requeue(t: Task): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = undefined;
    t.state = State.Queued;
    t.worker = undefined;
    this.queue.unshift(t);
  }

  private spawn(): void {
    const id = this.nextWorkerId++;
    let handle: WorkerHandle<Task>;
    try {
      handle = this.factory(id, this);
    } catch (err) {
      this.fail(new WorkerLoadError(this.o.url, err));
      return;
    }
    const w = new PoolWorker<Task>(handle);
    this.workers.push(w);
    this.byHandle.set(handle, w);
    this.events.emit('workerCreate', { id });
  }

  private liveWorkers(): number {
    let n = 0;
    for (const w of this.workers) if (w.usable) n++;
    return n;
  }

  private isIdle(w: PoolWorker<Task>): boolean {
    return w.ready && w.usable && w.handle.inflight === 0;
  }

  /** After a worker delivered a result or had a task taken off it. */
  private progressed(w: PoolWorker<Task>): void {
    if (w.dead) return;
    if (w.retiring) {
      if (w.handle.inflight === 0) this.stop(w);
    } else if (this.queue.size > 0) {
      this.fill(w);
    } else if (w.handle.inflight === 0) {
      this.steal(w);
      if (w.handle.inflight === 0) this.idle(w);
    }
    if (!this.accepting) this.checkIdle();
  }

  /**
   * The worker has nothing to do. One timer per idle spell, never cleared on
   * the hot path: when it fires it checks whether the worker stayed idle.
   */
  private idle(w: PoolWorker<Task>): void {
    if (!Number.isFinite(this.o.idleTimeout) || this.liveWorkers() <= this.o.minWorkers) return;
    w.idleSince = performance.now();
    if (w.idleTimer) return;
    w.idleTimer = setTimeout(this.idleCheck, this.o.idleTimeout, w);
    w.idleTimer.unref();
  }

  private readonly idleCheck = (w: PoolWorker<Task>): void => {
    w.idleTimer = undefined;
    if (!w.usable || w.idleSince === 0 || w.handle.inflight > 0) return; // busy again: idle() re-arms
    const left = w.idleSince + this.o.idleTimeout - performance.now();
    if (left > 1) {
      w.idleTimer = setTimeout(this.idleCheck, left, w);
      w.idleTimer.unref();
    } else if (this.liveWorkers() > this.o.minWorkers) {
      this.stop(w);
    }
  };

  private stop(w: PoolWorker<Task>): void {
    if (w.dead) return;
    w.dead = true;
    if (w.idleTimer) clearTimeout(w.idleTimer);
    void w.handle.terminate();
  }

  // ------------------------------------------------------------ settling

  private settle(t: Task, ok: boolean, value: unknown, next: State = State.Done): void {
    t.state = next;
    if (t.timer) {
      clearTimeout(t.timer);
      t.timer = undefined;
    }
    if (t.onAbort) {
      t.signal!.removeEventListener('abort', t.onAbort);
      t.onAbort = undefined;
    }
    if (ok) {
      this.stats.completed++;
      t.resolve(value);
    } else {
      this.stats.failed++;
      t.reject(value);
    }
  }

  /** Abort and timeout share this path; `reason` is what the worker's taskSignal() sees. */
  private abort(t: Task, error: Error, reason: unknown): void {
    if (t.state === State.Queued) {
      this.queue.remove(t);
      this.settle(t, false, error);
      if (this.queue.size === 0) this.emitDrain();
      if (!this.accepting) this.checkIdle();
    } else if (t.state === State.Sent) {
      const w = t.worker!;
      if (w.handle.revoke(t)) {
        this.settle(t, false, error);
        this.progressed(w);
        return;
      }
      this.settle(t, false, error, State.Abandoned);
      w.handle.abort(t, reason);
      t.graceTimer = setTimeout(this.graceOver, this.o.abortGrace, t);
    }
  }

  private readonly graceOver = (t: Task): void => {
    t.graceTimer = undefined;
    const w = t.worker;
    if (t.state !== State.Abandoned || !w || w.dead) return;
    w.stopDetail = `was stopped because task '${t.name}' kept running ${this.o.abortGrace} ms after it was aborted`;
    this.stop(w);
  };

  private readonly checkTimeout = (t: Task): void => {
    t.timer = undefined;
    if (t.state !== State.Sent) return;
    const started = t.worker!.handle.startedAt(t);
    // Not started yet: the clock has not begun. Started: wait out the rest.
    const remaining = started === 0 ? t.timeout : started + t.timeout - epochNow();
    if (remaining > 1) {
      t.timer = setTimeout(this.checkTimeout, remaining, t);
      return;
    }
    const error = new TaskTimeoutError(t.name, t.timeout);
    this.abort(t, error, error);
  };

  // ------------------------------------------------------------ WorkerSink

  ready(handle: WorkerHandle<Task>, taskNames: string[]): void {
    const w = this.byHandle.get(handle);
    if (!w) return;
    w.ready = true;
    this.taskNames ??= new Set(taskNames);
    let ready = 0;
    for (const x of this.workers) if (x.ready && x.usable) ready++;
    if (ready >= Math.max(1, this.o.minWorkers)) {
      for (const r of this.readyWaiters.splice(0)) r.resolve();
    }
    this.pump();
  }

  loadFailed(handle: WorkerHandle<Task>, error: Error): void {
    const w = this.byHandle.get(handle);
    if (w) w.dead = true;
    const err = new WorkerLoadError(this.o.url, error);
    for (const t of handle.tasks()) if (t.state === State.Sent) this.settle(t, false, err);
    this.fail(err);
  }

  result(_handle: WorkerHandle<Task>, t: Task, ok: boolean, value: unknown, runMs: number): void {
    const w = t.worker!;
    w.observe(runMs);
    this.barrenExits = 0;
    if (t.state === State.Sent) {
      this.stats.record(runMs, performance.now() - t.enqueuedAt - runMs);
      this.settle(t, ok, value);
    } else if (t.state === State.Abandoned) {
      if (t.graceTimer) clearTimeout(t.graceTimer);
      t.graceTimer = undefined;
      t.state = State.Done;
    }
    this.progressed(w);
  }

  progress(_handle: WorkerHandle<Task>, t: Task, value: unknown): void {
    if (t.state !== State.Sent || t.onProgress === undefined) return;
    try {
      t.onProgress(value);
    } catch (err) {
      // a throwing callback must not take the message handler down with it
      if (this.events.listens('error')) this.events.emit('error', err);
    }
  }

  unsendable(_handle: WorkerHandle<Task>, t: Task, error: unknown): void {
    this.settle(t, false, new TaskNotCloneableError(t.name, error));
  }

  recycle(handle: WorkerHandle<Task>, heapMb: number): void {
    const w = this.byHandle.get(handle);
    if (!w?.usable) return;
    w.retiring = true;
    w.stopDetail = `was recycled at ${heapMb} MB of heap`;
    const list = handle.tasks();
    for (let i = list.length - 1; i >= 0; i--) {
      const t = list[i]!;
      if (t.state === State.Sent && handle.revoke(t)) this.requeue(t);
    }
    if (handle.inflight === 0) this.stop(w);
    this.pump();
  }

  exit(handle: WorkerHandle<Task>, info: ExitInfo): void {
    const w = this.byHandle.get(handle);
    if (!w) return;
    this.byHandle.delete(handle);
    this.workers.splice(this.workers.indexOf(w), 1);
    w.dead = true;
    if (w.idleTimer) clearTimeout(w.idleTimer);
    const wasReady = w.ready;
    let blamed = 0;
    const back: Task[] = [];
    for (const t of handle.tasks()) {
      if (t.state === State.Abandoned) {
        if (t.graceTimer) clearTimeout(t.graceTimer);
        t.graceTimer = undefined;
        t.state = State.Done;
        blamed++;
      } else if (t.state === State.Sent) {
        if (handle.startedAt(t) > 0) {
          blamed++;
          this.settle(t, false, this.crashError(handle, w, info, t));
        } else {
          back.push(t);
        }
      }
    }
    for (let i = back.length - 1; i >= 0; i--) this.requeue(back[i]!);
    const event: WorkerExitEvent = {
      id: handle.id,
      reason: w.stopDetail && !info.error ? 'stuck' : info.reason,
      exitCode: info.exitCode,
      signal: info.signal,
      detail: w.stopDetail ?? info.detail,
      expected: info.expected,
    };
    this.events.emit('workerExit', event);
    if (!info.expected && !this.destroyed) {
      if (!wasReady && info.reason !== 'signal') {
        // It died before its module was even loaded: every new worker would too.
        // (Killed by a signal from outside while it started, it says nothing of the module.)
        this.fail(
          new WorkerLoadError(
            this.o.url,
            new Error(`the worker ${info.detail} before the module loaded`, { cause: info.error }),
          ),
        );
      } else if (blamed === 0) {
        if (++this.barrenExits >= BARREN_EXITS_LIMIT) {
          this.fail(
            new WorkerCrashedError(
              {
                workerId: handle.id,
                reason: info.reason,
                exitCode: info.exitCode,
                signal: info.signal,
                detail: `${info.detail}; ${BARREN_EXITS_LIMIT} workers in a row died without running a task, so the pool stopped starting new ones`,
              },
              { cause: info.error },
            ),
          );
        }
        if (this.events.listens('error')) this.events.emit('error', this.crashError(handle, w, info, undefined));
      }
    }
    if (this.destroyed) return;
    this.pump();
    this.ensureMinWorkers();
    // Tasks it had not started came back to the queue; a pool that stopped
    // starting workers can no longer run them once its last worker is gone.
    if (this.broken && this.liveWorkers() === 0) for (const t of this.queue.drain()) this.settle(t, false, this.broken);
    if (!this.accepting) this.checkIdle();
  }

  private crashError(
    handle: WorkerHandle<Task>,
    w: PoolWorker<Task>,
    info: ExitInfo,
    t: Task | undefined,
  ): WorkerCrashedError {
    const reason: CrashReason = w.stopDetail && !info.error ? 'stuck' : info.reason;
    const what = t ? ` while running task '${t.name}'` : ' while idle';
    return new WorkerCrashedError(
      {
        workerId: handle.id,
        reason,
        exitCode: info.exitCode,
        signal: info.signal,
        detail: `${w.stopDetail ?? info.detail}${what}`,
      },
      { cause: info.error },
    );
  }

  /** The pool cannot run tasks (module does not load): reject what waits, stop spawning. */
  private fail(err: Error): void {
    this.broken = err;
    for (const t of this.queue.drain()) this.settle(t, false, err);
    for (const r of this.readyWaiters.splice(0)) r.reject(err);
    if (!this.accepting) this.checkIdle();
  }

  // ------------------------------------------------------------ lifecycle

  /** Resolves when at least max(1, minWorkers) workers have loaded the module. */
  whenReady(): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    let ready = 0;
    for (const w of this.workers) if (w.ready && w.usable) ready++;
    const want = Math.max(1, this.o.minWorkers);
    if (ready >= want) return Promise.resolve();
    while (this.liveWorkers() < want) this.spawn();
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      // worker threads are unref'd: hold the loop open while someone waits
      const keepAlive = setInterval(() => {}, 1 << 30);
      const done = () => clearInterval(keepAlive);
      this.readyWaiters.push({
        resolve: () => {
          done();
          resolve();
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
    });
  }

  /** Resolves once nothing is queued or in flight. */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || this.queue.size > 0) return;
    for (const w of this.workers) if (w.handle.inflight > 0) return;
    for (const r of this.idleWaiters.splice(0)) r();
  }

  /** Rejects everything pending with `err` and stops every worker. */
  async destroy(err: Error = new PoolDestroyedError()): Promise<void> {
    this.accepting = false;
    this.destroyed = true;
    for (const t of this.queue.drain()) this.settle(t, false, err);
    for (const r of this.readyWaiters.splice(0)) r.reject(err);
    const stopping: Promise<void>[] = [];
    for (const w of [...this.workers]) {
      for (const t of w.handle.tasks()) {
        if (t.state === State.Sent) this.settle(t, false, err);
        if (t.graceTimer) clearTimeout(t.graceTimer);
        t.state = State.Done;
      }
      w.dead = true;
      if (w.idleTimer) clearTimeout(w.idleTimer);
      stopping.push(w.handle.terminate());
    }
    for (const r of this.idleWaiters.splice(0)) r();
    await Promise.all(stopping);
  }

  private emitDrain(): void {
    if (this.events.listens('drain')) this.events.emit('drain');
  }
}
