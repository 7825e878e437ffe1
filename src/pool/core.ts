// The pool's logic, independent of what a worker is made of: queueing,
// dispatch (send ahead in batches), taking work back for idle workers,
// abort/timeout, crash reconciliation, recycling, scaling and the pool's
// lifecycle (its one state, below). It talks to workers only through
// WorkerHandle (runtime/types.ts); crash rules live in crash.ts, deadlock
// detection in deadlock.ts.
import {
  PoolClosedError,
  PoolDestroyedError,
  PoolReloadFailedError,
  PoolScaleFailedError,
  TaskAbortedError,
  TaskNotCloneableError,
  TaskTimeoutError,
  WorkerLoadError,
  WorkerTeardownError,
} from '../errors/index.js';
import { endSpan } from '../observe/context.js';
import type { ExitInfo, RuntimeFactory, WorkerHandle, WorkerSink } from '../runtime/types.js';
import { formatDuration } from '../util/duration.js';
import { CrashPolicy, crashError, exitReason } from './crash.js';
import { DeadlockWatch, deadlockMessage } from './deadlock.js';
import type { ResolvedOptions } from './options.js';
import { TaskQueue } from './queue.js';
import { StatsRecorder } from './stats.js';
import { PinnedTask, State, type Task } from './task.js';
import type {
  CloseResult,
  PoolDeadlockEvent,
  PoolReloadResult,
  PoolScaleResult,
  PoolState,
  PoolWorkerExitEvent,
  PoolWorkerInfo,
} from './types.js';
import { MAX_PINNED, PoolWorker, type Trial } from './worker.js';

/** What the core reports to the public Pool (which owns the EventEmitter). */
export interface CoreEvents {
  emit(event: string, ...args: unknown[]): void;
  listens(event: string): boolean;
  /** a failure tied to no task: the 'error' event, or a process warning when nobody listens */
  error(err: unknown): void;
}

/**
 * The pool's life, in order; only the core moves it forward. Outside, it
 * reads as `pool.state`: Running is 'running', Draining and Stopping are
 * 'closing', Closed is 'closed'.
 */
const enum Phase {
  /** takes tasks */
  Running = 0,
  /** close(): takes none, finishes what is queued and running */
  Draining = 1,
  /** destroy() (or close() once drained): what is left is rejected, workers are stopping */
  Stopping = 2,
  /** every worker has exited */
  Closed = 3,
}

/**
 * A task that has not started when its timer fires is checked again this
 * often at least: its time limit counts from its start, which is not known
 * yet (a tiny timeout would otherwise poll every millisecond).
 */
const UNSTARTED_RECHECK_MS = 10;

const epochNow = (): number => performance.timeOrigin + performance.now();

export class PoolCore implements WorkerSink<Task> {
  readonly queue = new TaskQueue<Task>();
  readonly workers: PoolWorker<Task>[] = [];
  readonly stats = new StatsRecorder();
  private phase = Phase.Running;
  /** set when the module cannot be loaded: the pool stops starting workers */
  private failure: Error | undefined = undefined;
  private names: Set<string> | undefined = undefined;
  /** tasks close() or destroy() had to reject */
  private forced = 0;
  private closing: Promise<CloseResult> | undefined = undefined;
  private stopping: Promise<void> | undefined = undefined;
  private readonly byHandle = new Map<WorkerHandle<Task>, PoolWorker<Task>>();
  private readonly crashes: CrashPolicy;
  private readonly deadlocks: DeadlockWatch;
  private nextWorkerId = 1;
  private scheduled = false;
  private readyWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private idleWaiters: (() => void)[] = [];
  /** broadcast tasks waiting for their worker, and the timer that holds the process open meanwhile */
  private pinnedWaiting = 0;
  private pinnedHold: NodeJS.Timeout | undefined = undefined;
  private readonly pumpNow = (): void => this.pump();
  /** reload() and scale() run one after the other */
  private ops: Promise<unknown> = Promise.resolve();
  /** called once every worker has exited (the pool leaves the metrics registry) */
  onClosed: (() => void) | undefined = undefined;

  constructor(
    private readonly o: ResolvedOptions,
    private readonly factory: RuntimeFactory<Task>,
    private readonly events: CoreEvents,
  ) {
    this.crashes = new CrashPolicy(o.url);
    const view = { workers: this.workers, queue: this.queue, settled: () => this.stats.completed + this.stats.failed };
    this.deadlocks = new DeadlockWatch(view, o.concurrency, (e) => this.deadlocked(e));
  }

  /** True while run() may queue tasks. */
  get accepting(): boolean {
    return this.phase === Phase.Running;
  }

  /** Where the pool is in its life, as `pool.state` shows it. */
  get state(): PoolState {
    return this.phase === Phase.Running ? 'running' : this.phase === Phase.Closed ? 'closed' : 'closing';
  }

  /** Why the pool cannot run tasks (its module does not load), once that is known. */
  get broken(): Error | undefined {
    return this.failure;
  }

  /** The task names the module exports, once a worker has loaded it. */
  get taskNames(): ReadonlySet<string> | undefined {
    return this.names;
  }

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
    while (this.phase === Phase.Running && !this.failure && this.liveWorkers() < this.o.minWorkers) this.spawn();
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
    if (this.phase >= Phase.Stopping) return;
    if (this.queue.size > 0) {
      const c = this.o.concurrency;
      this.share((w) => w.ready && w.handle.inflight < c);
      if (this.queue.size > 0 && !this.failure) {
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
      // a worker still starting has started nothing: all it holds is waiting
      const waiting = v.ready ? v.handle.inflight - c : v.handle.inflight;
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
      if (t.state !== State.Sent || t instanceof PinnedTask) continue; // a broadcast task stays on its worker
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

  private spawn(trial?: Trial<Task>): PoolWorker<Task> | Error {
    const id = this.nextWorkerId++;
    let handle: WorkerHandle<Task>;
    try {
      handle = this.factory(id, this);
    } catch (err) {
      const error = new WorkerLoadError(this.o.url, err);
      if (!trial) this.fail(error);
      return error;
    }
    const w = new PoolWorker<Task>(handle);
    w.trial = trial;
    this.workers.push(w);
    this.byHandle.set(handle, w);
    if (Number.isFinite(this.o.loadTimeout)) {
      w.loadTimer = setTimeout(this.loadTimedOut, this.o.loadTimeout, w);
      w.loadTimer.unref();
    }
    if (handle.blocking !== undefined) this.deadlocks.start();
    this.events.emit('workerCreate', { id, pid: handle.pid });
    return w;
  }

  private liveWorkers(): number {
    let n = 0;
    for (const w of this.workers) if (w.usable) n++;
    return n;
  }

  private readyWorkers(): number {
    let n = 0;
    for (const w of this.workers) if (w.ready && w.usable) n++;
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
    if (this.phase !== Phase.Running) this.checkIdle();
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
    w.clearTimers();
    void w.handle.terminate();
  }

  /**
   * A worker still loading the module after `loadTimeout`: its top-level code
   * never settles (an await on something that never comes). Before any worker
   * loaded it, the module is to blame and the pool fails; after, only this
   * worker is, and it is replaced.
   */
  private readonly loadTimedOut = (w: PoolWorker<Task>): void => {
    w.loadTimer = undefined;
    if (w.ready || w.dead) return;
    const limit = formatDuration(this.o.loadTimeout);
    const why = new Error(`worker ${w.handle.id} did not finish loading it within ${limit} (loadTimeout)`);
    this.stop(w);
    const err = new WorkerLoadError(this.o.url, why);
    if (w.trial) w.trial.failed(w, err);
    else if (this.names === undefined) this.fail(err);
    else this.reportError(err);
  };

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
    if (t.span) this.endSpan(t, ok, value);
    if (ok) {
      this.stats.completed++;
      t.resolve(value);
    } else {
      this.stats.failure(value);
      t.reject(value);
    }
  }

  private endSpan(t: Task, ok: boolean, value: unknown): void {
    const code = ok ? undefined : (value as { code?: unknown } | null)?.code;
    const outcome = ok
      ? 'completed'
      : code === 'ERR_TASK_TIMEOUT'
        ? 'timed_out'
        : code === 'ERR_WORKER_CRASHED'
          ? 'crashed'
          : code === 'ERR_TASK_ABORTED' || code === 'ERR_POOL_DESTROYED' || code === 'ERR_POOL_CLOSED'
            ? 'aborted'
            : 'failed';
    const sent = t.worker !== undefined;
    endSpan(t.span!, outcome, ok ? undefined : value, {
      'spindle.worker.id': t.worker?.handle.id,
      'spindle.wait_ms': sent ? performance.now() - t.enqueuedAt - t.runMs : undefined,
      'spindle.run_ms': sent ? t.runMs : undefined,
    });
    t.span = undefined;
  }

  /** A task whose promise already settled (abort, timeout) is off its worker now. */
  private retire(t: Task): void {
    if (t.graceTimer) clearTimeout(t.graceTimer);
    t.graceTimer = undefined;
    t.state = State.Done;
  }

  /** Abort and timeout share this path; `reason` is what the worker's taskSignal() sees. */
  private abort(t: Task, error: Error, reason: unknown): void {
    if (t.state === State.Queued) {
      if (t instanceof PinnedTask) {
        // waiting for its worker, not in the queue: dropped when reached
        this.settle(t, false, error);
        return;
      }
      this.queue.remove(t);
      this.settle(t, false, error);
      if (this.queue.size === 0) this.emitDrain();
      if (this.phase !== Phase.Running) this.checkIdle();
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
    // Its result may be written already, behind this timer in the event loop
    // (timers run before messages are read): a task that stopped in time
    // must not take down the worker, and the task it started next, with it.
    w.handle.flush?.();
    if (t.state !== State.Abandoned) return;
    w.stopDetail = `was stopped because task '${t.name}' kept running ${this.o.abortGrace} ms after it was aborted`;
    this.stop(w);
  };

  private readonly checkTimeout = (t: Task): void => {
    t.timer = undefined;
    if (t.state !== State.Sent) return;
    const handle = t.worker!.handle;
    const started = handle.startedAt(t);
    if (started === 0) {
      // Not started: its clock has not begun, whatever its limit.
      t.timer = setTimeout(this.checkTimeout, Math.max(t.timeout, UNSTARTED_RECHECK_MS), t);
      return;
    }
    const remaining = started + t.timeout - epochNow();
    if (remaining > 1) {
      t.timer = setTimeout(this.checkTimeout, remaining, t);
      return;
    }
    handle.flush?.(); // a result already written wins over the timeout
    if (t.state !== State.Sent) return;
    const error = new TaskTimeoutError(t.name, t.timeout);
    this.abort(t, error, error);
  };

  // ------------------------------------------------------------ WorkerSink

  ready(handle: WorkerHandle<Task>, taskNames: string[]): void {
    const w = this.byHandle.get(handle);
    if (!w) return;
    w.ready = true;
    if (w.loadTimer) clearTimeout(w.loadTimer);
    w.loadTimer = undefined;
    this.names ??= new Set(taskNames);
    this.events.emit('workerReady', { id: handle.id, pid: handle.pid });
    if (w.trial) w.trial.ready(w, taskNames);
    if (w.pinnedWaiting !== undefined) this.sendPinned(w);
    if (this.readyWorkers() >= Math.max(1, this.o.minWorkers)) {
      for (const r of this.readyWaiters.splice(0)) r.resolve();
    }
    this.pump();
  }

  loadFailed(handle: WorkerHandle<Task>, error: Error, setup?: string): void {
    const w = this.byHandle.get(handle);
    if (w) {
      w.dead = true;
      w.clearTimers();
    }
    const err =
      setup === undefined ? new WorkerLoadError(this.o.url, error) : new WorkerLoadError(setup, error, 'setup module');
    if (w?.trial) {
      // a worker of reload() or scale(): the module as it is now does not load. The
      // tasks sent ahead to it never started: back to the queue for the old workers
      const list = handle.tasks();
      for (let i = list.length - 1; i >= 0; i--) {
        const t = list[i]!;
        if (t.state === State.Sent && !(t instanceof PinnedTask)) this.requeue(t);
      }
      this.dropPinned(w, () => err);
      w.trial.failed(w, err);
      this.pump();
      return;
    }
    for (const t of handle.tasks()) if (t.state === State.Sent) this.settle(t, false, err);
    if (w) this.dropPinned(w, () => err);
    this.fail(err);
  }

  teardownFailed(handle: WorkerHandle<Task>, error: Error): void {
    this.reportError(new WorkerTeardownError(handle.id, this.o.setup, error));
  }

  result(_handle: WorkerHandle<Task>, t: Task, ok: boolean, value: unknown, runMs: number): void {
    const w = t.worker!;
    w.observe(runMs);
    w.settled++;
    this.crashes.delivered();
    if (t.state === State.Sent) {
      t.runMs = runMs;
      this.stats.record(runMs, performance.now() - t.enqueuedAt - runMs);
      this.settle(t, ok, value);
    } else if (t.state === State.Abandoned) {
      this.retire(t);
    }
    this.progressed(w);
  }

  progress(_handle: WorkerHandle<Task>, t: Task, value: unknown): void {
    if (t.state !== State.Sent || t.onProgress === undefined) return;
    try {
      t.onProgress(value);
    } catch (err) {
      // a throwing callback must not take the message handler down with it
      this.reportError(err);
    }
  }

  unsendable(_handle: WorkerHandle<Task>, t: Task, error: unknown): void {
    this.settle(t, false, new TaskNotCloneableError(t.name, error));
  }

  recycle(handle: WorkerHandle<Task>, heapMb: number): void {
    const w = this.byHandle.get(handle);
    if (!w?.usable) return;
    this.retireWorker(w, `was recycled at ${heapMb} MB of heap`);
    this.pump();
  }

  /**
   * The worker takes no new tasks: those sent ahead that it has not started
   * go back to the queue (in order), those it runs finish, then it stops.
   */
  private retireWorker(w: PoolWorker<Task>, detail: string): void {
    if (!w.usable) return;
    w.retiring = true;
    w.stopDetail = detail;
    const handle = w.handle;
    const list = handle.tasks();
    for (let i = list.length - 1; i >= 0; i--) {
      const t = list[i]!;
      if (t.state === State.Sent && !(t instanceof PinnedTask) && handle.revoke(t)) this.requeue(t);
    }
    if (handle.inflight === 0) this.stop(w);
  }

  exit(handle: WorkerHandle<Task>, info: ExitInfo): void {
    const w = this.byHandle.get(handle);
    if (!w) return;
    this.byHandle.delete(handle);
    this.workers.splice(this.workers.indexOf(w), 1);
    w.dead = true;
    w.clearTimers();
    if (this.workers.length === 0) this.deadlocks.stop();
    const blamed = this.reclaim(w, info);
    this.dropPinned(w, (name) =>
      crashError(w, info, name, `${w.stopDetail ?? info.detail} before it ran task '${name}'`),
    );
    const event: PoolWorkerExitEvent = {
      id: handle.id,
      pid: handle.pid,
      exitCode: info.exitCode,
      signal: info.signal,
      expected: info.expected,
      reason: exitReason(w, info),
      detail: w.stopDetail ?? info.detail,
    };
    this.events.emit('workerExit', event);
    const trial = w.trial;
    if (trial) {
      // it died before it was ready: reload() or scale() fails, the pool does not
      w.trial = undefined;
      trial.failed(
        w,
        this.phase >= Phase.Stopping
          ? new PoolClosedError()
          : crashError(w, info, undefined, `${event.detail} before it was ready`),
      );
    }
    if (w.gone) for (const done of w.gone.splice(0)) done();
    if (this.phase >= Phase.Stopping) return;
    if (!info.expected && !trial) {
      const verdict = this.crashes.judge(w, info, blamed);
      if (verdict.fail) this.fail(verdict.fail);
      if (verdict.report) this.reportError(verdict.report);
    }
    this.pump();
    this.ensureMinWorkers();
    // Tasks it had not started came back to the queue; a pool that stopped
    // starting workers can no longer run them once its last worker is gone.
    if (this.failure && this.liveWorkers() === 0) {
      for (const t of this.queue.drain()) this.settle(t, false, this.failure);
    }
    if (this.phase !== Phase.Running) this.checkIdle();
  }

  /**
   * Sorts out the tasks of a worker that exited: those it had started fail
   * with the crash, those it had not go back to the front of the queue in
   * order, those already settled are let go. Returns how many died with it.
   */
  private reclaim(w: PoolWorker<Task>, info: ExitInfo): number {
    const handle = w.handle;
    let blamed = info.failedTasks ?? 0;
    const back: Task[] = [];
    for (const t of handle.tasks()) {
      if (t.state === State.Abandoned) {
        this.retire(t);
        blamed++;
      } else if (t.state === State.Sent) {
        if (handle.startedAt(t) > 0) {
          blamed++;
          this.settle(t, false, crashError(w, info, t.name));
        } else if (t instanceof PinnedTask) {
          // meant for this worker only: it cannot run elsewhere
          this.settle(
            t,
            false,
            crashError(w, info, t.name, `${w.stopDetail ?? info.detail} before it ran task '${t.name}'`),
          );
        } else {
          back.push(t);
        }
      }
    }
    for (let i = back.length - 1; i >= 0; i--) this.requeue(back[i]!);
    return blamed;
  }

  /** The pool cannot run tasks (module does not load): reject what waits, stop spawning. */
  private fail(err: Error): void {
    this.failure = err;
    for (const t of this.queue.drain()) this.settle(t, false, err);
    for (const r of this.readyWaiters.splice(0)) r.reject(err);
    if (this.phase !== Phase.Running) this.checkIdle();
  }

  /** A failure tied to no task: the 'error' event, or a process warning when nobody listens (never dropped). */
  private reportError(err: unknown): void {
    this.events.error(err);
  }

  private deadlocked(e: PoolDeadlockEvent): void {
    if (this.events.listens('deadlock')) this.events.emit('deadlock', e);
    else process.emitWarning(deadlockMessage(e), { type: 'SpindleWarning', code: 'SPINDLE_POOL_DEADLOCK' });
  }

  // ------------------------------------------------------------ broadcast

  /**
   * The workers a broadcast reaches: every worker that takes tasks (started
   * or starting, not retiring). With none, one is started, as run() would.
   */
  broadcastTargets(): PoolWorker<Task>[] {
    if (this.phase === Phase.Running && !this.failure && this.liveWorkers() === 0) this.spawn();
    return this.workers.filter((w) => w.usable);
  }

  /**
   * Hands a broadcast task to its worker: sent at once when the worker is
   * ready and has a pinned place free, else kept until it has. It goes ahead
   * of the pool's queue, behind what was already sent to that worker.
   */
  pin(t: PinnedTask): void {
    if (t.signal) {
      t.onAbort = () => this.abort(t, new TaskAbortedError(t.name, t.signal!.reason), t.signal!.reason);
      t.signal.addEventListener('abort', t.onAbort, { once: true });
    }
    (t.target.pinnedWaiting ??= []).push(t);
    this.holdForPinned(1);
    if (t.target.ready) this.sendPinned(t.target);
  }

  /**
   * Broadcast tasks waiting for a worker that is still starting are in no
   * worker's hands, and an idle worker does not hold the process open: the
   * pool does, while any waits (as it does for a pending ready()).
   */
  private holdForPinned(change: number): void {
    const before = this.pinnedWaiting;
    this.pinnedWaiting += change;
    if (before === 0 && this.pinnedWaiting > 0) this.pinnedHold = setInterval(() => {}, 1 << 30);
    else if (before > 0 && this.pinnedWaiting === 0) clearInterval(this.pinnedHold);
  }

  /** A broadcast task settled: its place on the worker is free for the next one waiting. */
  unpinned(t: PinnedTask): void {
    if (!t.delivered) return;
    t.delivered = false;
    const w = t.target;
    w.pinned--;
    if (w.pinnedWaiting !== undefined) this.sendPinned(w);
  }

  /** Sends what waits for `w` while it has room (called once it is ready, and as its pinned tasks settle). */
  private sendPinned(w: PoolWorker<Task>): void {
    const waiting = w.pinnedWaiting!;
    if (w.dead || !w.ready || this.phase >= Phase.Stopping) return;
    while (waiting.length > 0 && w.pinned < MAX_PINNED) {
      const t = waiting.shift() as PinnedTask;
      this.holdForPinned(-1);
      if (t.state !== State.Queued) continue; // aborted while it waited
      t.state = State.Sent;
      t.worker = w;
      t.delivered = true;
      w.pinned++;
      if (t.timeout > 0) t.timer = setTimeout(this.checkTimeout, t.timeout, t);
      w.sent++;
      w.idleSince = 0;
      if (w.sent >= this.o.afterTasks && !w.retiring) {
        w.retiring = true;
        w.stopDetail = `was recycled after ${this.o.afterTasks} tasks`;
      }
      w.handle.send([t]);
    }
    if (waiting.length === 0) w.pinnedWaiting = undefined;
  }

  /** Rejects the broadcast tasks still waiting for `w` (it is gone, or the pool stops). */
  private dropPinned(w: PoolWorker<Task>, error: (task: string) => Error): void {
    const waiting = w.pinnedWaiting;
    if (waiting === undefined) return;
    w.pinnedWaiting = undefined;
    this.holdForPinned(-waiting.length);
    for (const t of waiting) if (t.state === State.Queued) this.settle(t, false, error(t.name));
  }

  // ------------------------------------------------------------ reload and scale

  /** Runs `op` after every reload() and scale() asked for before it. */
  private queueOp<T>(op: () => Promise<T>): Promise<T> {
    const run = this.ops.then(op, op);
    this.ops = run.catch(() => {});
    return run;
  }

  /**
   * Starts `n` workers and resolves with them once every one is ready (and
   * the task names their module exports); if one cannot start, the others
   * are stopped again (what they run finishes) and it rejects with why.
   */
  private startTrial(n: number): Promise<{ workers: PoolWorker<Task>[]; names: string[] }> {
    return new Promise((resolve, reject) => {
      const workers: PoolWorker<Task>[] = [];
      const pending = new Set<PoolWorker<Task>>();
      let names: string[] = [];
      let over = false;
      // worker threads are unref'd: hold the loop open while the caller waits
      const keepAlive = setInterval(() => {}, 1 << 30);
      // Once the trial is over, its workers keep `trial` until ready or gone: a
      // second load failure among them is this call's too, never the pool's.
      const trial: Trial<Task> = {
        ready: (w, taskNames) => {
          w.trial = undefined;
          names = taskNames;
          pending.delete(w);
          if (pending.size > 0 || over) return;
          over = true;
          clearInterval(keepAlive);
          resolve({ workers, names });
        },
        failed: (w, error) => {
          if (over) return;
          over = true;
          const gone = workers.map((x) => this.whenGone(x));
          for (const other of workers) {
            if (other === w) continue;
            this.retireWorker(other, 'was stopped again: another new worker could not start');
          }
          this.stop(w);
          this.pump();
          // rejects once the new workers are gone: the pool is as it was before the call
          void Promise.all(gone).then(() => {
            clearInterval(keepAlive);
            reject(error);
          });
        },
      };
      for (let i = 0; i < n && !over; i++) {
        const w = this.spawn(trial);
        if (w instanceof Error) {
          // the runtime could not even create it: nothing of it to stop
          over = true;
          clearInterval(keepAlive);
          for (const other of workers) {
            this.retireWorker(other, 'was stopped again: another new worker could not start');
          }
          reject(w);
          return;
        }
        workers.push(w);
        pending.add(w);
      }
    });
  }

  /** Resolves once `w` has exited. */
  private whenGone(w: PoolWorker<Task>): Promise<void> {
    if (!this.byHandle.has(w.handle)) return Promise.resolve();
    return new Promise((resolve) => (w.gone ??= []).push(resolve));
  }

  /** reload(): new workers first (all ready, or nothing changes), then the old ones retire. */
  reload(): Promise<PoolReloadResult> {
    if (this.phase !== Phase.Running) return Promise.reject(new PoolClosedError());
    return this.queueOp(async () => {
      if (this.phase !== Phase.Running) throw new PoolClosedError();
      if (this.failure) throw this.failure;
      const old = this.workers.filter((w) => w.usable);
      const n = Math.max(old.length, this.o.minWorkers);
      if (n === 0) return { workers: [], replaced: [] }; // none runs: the next one loads the module as it is now
      let fresh: { workers: PoolWorker<Task>[]; names: string[] };
      try {
        fresh = await this.startTrial(n);
      } catch (err) {
        if (this.phase !== Phase.Running) throw new PoolClosedError();
        throw new PoolReloadFailedError(err);
      }
      if (this.phase !== Phase.Running) throw new PoolClosedError();
      this.names = new Set(fresh.names);
      const gone = old.map((w) => this.whenGone(w));
      for (const w of old) this.retireWorker(w, 'was replaced by reload()');
      this.pump();
      await Promise.all(gone);
      return {
        workers: fresh.workers.filter((w) => !w.dead).map((w) => ({ id: w.handle.id, pid: w.handle.pid ?? null })),
        replaced: old.map((w) => w.handle.id),
      };
    });
  }

  /**
   * scale(n): maxWorkers becomes n (and minWorkers too when both were equal:
   * a fixed-size pool stays fixed; a minWorkers above n comes down to n).
   * Workers it must start are all ready before the size changes; workers it
   * stops (idle ones first, then the least busy, the highest ids first) hand
   * back what they had not started and finish what they run.
   */
  scale(n: number): Promise<PoolScaleResult> {
    if (this.phase !== Phase.Running) return Promise.reject(new PoolClosedError());
    return this.queueOp(async () => {
      if (this.phase !== Phase.Running) throw new PoolClosedError();
      if (this.failure) throw this.failure;
      const o = this.o;
      const previous = o.maxWorkers;
      const fixed = o.minWorkers === o.maxWorkers;
      const result: PoolScaleResult = { workers: n, previous, started: [], stopped: [] };
      if (n > previous) {
        const wantedMin = fixed ? n : o.minWorkers;
        const toStart = wantedMin - this.liveWorkers();
        if (toStart > 0) {
          try {
            const fresh = await this.startTrial(toStart);
            result.started = fresh.workers.map((w) => w.handle.id);
          } catch (err) {
            if (this.phase !== Phase.Running) throw new PoolClosedError();
            throw new PoolScaleFailedError(err, n, previous);
          }
          if (this.phase !== Phase.Running) throw new PoolClosedError();
        }
        o.maxWorkers = n;
        if (fixed) o.minWorkers = n;
        this.pump();
      } else if (n < previous) {
        o.maxWorkers = n;
        o.minWorkers = fixed ? n : Math.min(o.minWorkers, n);
        const live = this.workers.filter((w) => w.usable);
        const victims = live
          .sort((a, b) => a.handle.inflight - b.handle.inflight || b.handle.id - a.handle.id)
          .slice(0, Math.max(0, live.length - n));
        const gone = victims.map((w) => this.whenGone(w));
        for (const w of victims) this.retireWorker(w, 'was stopped by scale()');
        this.pump();
        await Promise.all(gone);
        result.stopped = victims.map((w) => w.handle.id).sort((a, b) => a - b);
      }
      if (this.events.listens('scale')) this.events.emit('scale', result);
      return result;
    });
  }

  /** A snapshot of every worker, in id order. */
  workerInfo(): PoolWorkerInfo[] {
    const c = this.o.concurrency;
    return this.workers
      .map((w): PoolWorkerInfo => {
        const running: PoolWorkerInfo['running'] = [];
        for (const t of w.handle.tasks()) {
          const since = t.state === State.Sent ? w.handle.startedAt(t) : 0;
          if (since > 0) running.push({ name: t.name, since: Math.round(since), label: t.label });
        }
        const state = w.dead
          ? 'stopping'
          : w.retiring
            ? 'retiring'
            : !w.ready
              ? 'starting'
              : running.length === 0
                ? 'idle'
                : 'busy';
        return {
          id: w.handle.id,
          pid: w.handle.pid ?? null,
          state,
          tasks: w.settled,
          running: running.slice(0, c),
          queued: Math.max(0, w.handle.inflight - running.length),
        };
      })
      .sort((a, b) => a.id - b.id);
  }

  // ------------------------------------------------------------ lifecycle

  /** Resolves when at least max(1, minWorkers) workers have loaded the module. */
  whenReady(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.phase !== Phase.Running) return Promise.reject(new PoolClosedError());
    const want = Math.max(1, this.o.minWorkers);
    if (this.readyWorkers() >= want) return Promise.resolve();
    while (this.liveWorkers() < want && !this.failure) this.spawn();
    if (this.failure) return Promise.reject(this.failure);
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

  /**
   * Stops taking tasks, lets queued and running ones finish within `grace`
   * ms, then rejects what is left (ERR_POOL_DESTROYED) and stops the workers.
   * Idempotent: later calls get the first call's promise.
   */
  close(grace: number): Promise<CloseResult> {
    if (this.closing) return this.closing;
    if (this.phase === Phase.Running) this.phase = Phase.Draining;
    this.closing = (async () => {
      if (this.phase === Phase.Draining) await this.drained(grace);
      await this.destroy();
      return { clean: this.forced === 0 };
    })();
    return this.closing;
  }

  /** Resolves once nothing is queued or in flight, or `grace` ms have passed. */
  private drained(grace: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      if (Number.isFinite(grace)) timer = setTimeout(done, grace);
      this.idleWaiters.push(done);
      this.checkIdle();
    });
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || this.queue.size > 0) return;
    for (const w of this.workers) if (w.handle.inflight > 0 || w.pinnedWaiting?.length) return;
    for (const r of this.idleWaiters.splice(0)) r();
  }

  /** Rejects everything pending with ERR_POOL_DESTROYED and stops every worker. Idempotent. */
  destroy(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.phase = Phase.Stopping;
    this.deadlocks.stop();
    const err = new PoolDestroyedError();
    for (const t of this.queue.drain()) {
      this.forced++;
      this.settle(t, false, err);
    }
    for (const r of this.readyWaiters.splice(0)) r.reject(err);
    const exits: Promise<void>[] = [];
    for (const w of [...this.workers]) {
      for (const t of w.handle.tasks()) {
        if (t.state === State.Sent) {
          this.forced++;
          this.settle(t, false, err);
        }
        this.retire(t);
      }
      this.dropPinned(w, () => {
        this.forced++;
        return err;
      });
      w.dead = true;
      w.clearTimers();
      exits.push(w.handle.terminate());
    }
    for (const r of this.idleWaiters.splice(0)) r();
    this.stopping = Promise.all(exits).then(() => {
      this.phase = Phase.Closed;
      this.onClosed?.();
    });
    return this.stopping;
  }

  private emitDrain(): void {
    if (this.events.listens('drain')) this.events.emit('drain');
  }
}
