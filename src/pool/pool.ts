// The public Pool: validates calls, creates tasks and owns the events. The
// scheduling logic and the lifecycle state live in core.ts.

import { EventEmitter } from 'node:events';
import type { TransferListItem } from 'node:worker_threads';
import { PoolClosedError, PoolQueueFullError, TaskAbortedError, TaskNotFoundError } from '../errors/index.js';
import { captureMeta, capturing, startSpan } from '../observe/context.js';
import { addSource } from '../observe/registry.js';
import { INLINE_PREFIX } from '../runtime/protocol.js';
import { availableCpus } from '../util/cpus.js';
import { optionalDuration } from '../util/duration.js';
import { emitError } from '../util/events.js';
import { knownOptions } from '../util/known.js';
import { checkObject, checkSignal, describe, invalid, MAX_WORKERS, readError, workerCount } from '../util/validate.js';
import { type CoreEvents, PoolCore } from './core.js';
import { inline } from './inline.js';
import { poolSource } from './metrics.js';
import { type ResolvedOptions, resolveOptions, taskTimeout } from './options.js';
import { runtimeFactory } from './runtimes.js';
import { PinnedTask, Task } from './task.js';
import type {
  AnyFn,
  AnyModule,
  BroadcastOptions,
  BroadcastOutcome,
  CloseResult,
  InlineArgs,
  InlineResult,
  PoolCloseOptions,
  PoolDeadlockEvent,
  PoolOptions,
  PoolProxy,
  PoolReloadResult,
  PoolScaleResult,
  PoolState,
  PoolStats,
  PoolWorkerEvent,
  PoolWorkerExitEvent,
  PoolWorkerInfo,
  RunArgs,
  RunOptions,
  TaskArgs,
  TaskName,
  TaskResult,
} from './types.js';

/** The arguments after the task (or function) in `broadcast()`: args may be left out when every parameter is optional. */
type BroadcastArgs<A extends unknown[]> = [] extends A
  ? [args?: A, options?: BroadcastOptions]
  : [args: A, options?: BroadcastOptions];

/** Events of a Pool. */
export interface PoolEvents {
  /** the queue became empty: a producer held back by `maxQueue` may submit again */
  drain: [];
  /** a worker was started (it loads the setup and task modules next) */
  workerCreate: [PoolWorkerEvent];
  /** a worker has loaded the setup and task modules: it takes tasks from now on */
  workerReady: [PoolWorkerEvent];
  workerExit: [PoolWorkerExitEvent];
  /**
   * every worker has been blocked on a spindle/shared primitive while tasks wait
   * for a worker (thread runtime); unlistened, it is a process warning
   */
  deadlock: [PoolDeadlockEvent];
  /** scale() changed the pool's size (after its new workers are ready and the ones it stopped have exited) */
  scale: [PoolScaleResult];
  /** a failure not tied to any task (e.g. a worker died while idle); unlistened, it is a process warning */
  error: [Error];
}

const noOptions: RunOptions = {};
const CLOSE_OPTIONS: ReadonlySet<string> = new Set(['grace']);
const BROADCAST_OPTIONS: ReadonlySet<string> = new Set(['signal', 'timeout']);

/**
 * A pool of workers running the exported functions of one module. Typed from
 * that module: `new Pool<typeof import('./tasks.js')>({ worker: new URL('./tasks.js', import.meta.url) })`.
 */
export class Pool<M = AnyModule> extends EventEmitter<PoolEvents> {
  readonly #o: ResolvedOptions;
  readonly #core: PoolCore;
  #nextId = 1;

  constructor(options?: PoolOptions) {
    super();
    this.#o = resolveOptions(options);
    const events: CoreEvents = {
      emit: (event, ...args) => this.emit(event as keyof PoolEvents, ...(args as [never])),
      listens: (event) => this.listenerCount(event as keyof PoolEvents) > 0,
      error: (err) => emitError(this, err),
    };
    this.#core = new PoolCore(this.#o, runtimeFactory(this.#o), events);
    const remove = addSource(poolSource(this.#o.name, this.#core));
    this.#core.onClosed = remove;
    this.#core.ensureMinWorkers();
  }

  /**
   * Runs task `name` with `args` on a worker; settles with its result or a coded error.
   * Given a function instead of a name, runs that function (an inline function: it must
   * be self-contained, see docs/pool.md).
   */
  run<K extends TaskName<M>>(name: K, ...rest: RunArgs<M, K>): Promise<TaskResult<M, K>>;
  run<F extends AnyFn>(fn: F, ...rest: InlineArgs<F>): Promise<InlineResult<F>>;
  run(name: string | AnyFn, ...rest: [unknown[]?, RunOptions?]): Promise<unknown> {
    const [args = [], options = noOptions] = rest as [unknown[] | undefined, RunOptions | undefined];
    const core = this.#core;
    if (!core.accepting) return Promise.reject(new PoolClosedError());
    if (core.broken) return Promise.reject(core.broken);
    if (typeof name !== 'string') {
      if (typeof name !== 'function')
        return Promise.reject(invalid('name', 'a task name (string) or a function', name));
      return this.#runInline(name, args, options);
    }
    if (core.taskNames !== undefined && !core.taskNames.has(name) && !name.startsWith(INLINE_PREFIX))
      return Promise.reject(new TaskNotFoundError(name, [...core.taskNames]));
    if (!Array.isArray(args)) return Promise.reject(invalid('args', 'an array of arguments', args));
    let signal: AbortSignal | undefined;
    let timeout = this.#o.taskTimeout;
    let transfer: readonly TransferListItem[] | undefined;
    let priority = 0;
    let onProgress: ((value: unknown) => void) | undefined;
    let label: string | null = null;
    if (options !== noOptions) {
      try {
        checkObject('options', options);
        signal = checkSignal('options.signal', options.signal);
        if (options.timeout !== undefined) timeout = taskTimeout('options.timeout', options.timeout, 0);
        if (options.transfer !== undefined) {
          if (!Array.isArray(options.transfer))
            throw invalid('options.transfer', 'an array of transferable objects', options.transfer);
          transfer = options.transfer;
        }
        if (options.priority !== undefined) {
          if (typeof options.priority !== 'number' || !Number.isFinite(options.priority))
            throw invalid('options.priority', 'a finite number', options.priority);
          priority = options.priority;
        }
        if (options.onProgress !== undefined) {
          if (typeof options.onProgress !== 'function')
            throw invalid('options.onProgress', 'a function', options.onProgress);
          onProgress = options.onProgress;
        }
        if (options.label !== undefined) {
          if (typeof options.label !== 'string' || options.label.length > 200)
            throw invalid('options.label', 'a string of at most 200 characters', options.label);
          label = options.label;
        }
      } catch (err) {
        return Promise.reject(readError('options', options, err));
      }
      if (signal?.aborted) return Promise.reject(new TaskAbortedError(name, signal.reason));
    }
    if (core.queue.size >= this.#o.maxQueue) return Promise.reject(new PoolQueueFullError(this.#o.maxQueue));
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const task = new Task(
      this.#nextId++,
      name,
      args,
      transfer,
      priority,
      signal,
      timeout,
      resolve,
      reject,
      performance.now(),
    );
    if (onProgress !== undefined) task.onProgress = onProgress;
    task.label = label;
    if (capturing()) {
      task.span = startSpan(`spindle.task ${name}`, { 'spindle.pool': this.#o.name, 'spindle.task': name });
      task.meta = captureMeta(task.span);
    }
    core.submit(task);
    return promise;
  }

  /** run(fn, args): the function's source goes first in the arguments, under the name `<inline NAME>`. */
  #runInline(fn: AnyFn, args: unknown, options: RunOptions): Promise<unknown> {
    let code: { source: string; name: string };
    try {
      code = this.#inline(fn);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!Array.isArray(args)) return Promise.reject(invalid('args', 'an array of arguments', args));
    return (this.run as (n: string, a: unknown[], o: RunOptions) => Promise<unknown>)(
      code.name,
      [code.source, ...args],
      options,
    );
  }

  /**
   * Runs task `name` (or an inline function) once on every worker that takes
   * tasks now, and resolves with one outcome per worker, by worker id:
   * `{ workerId, status: 'fulfilled', value }` or `{ workerId, status:
   * 'rejected', reason }`. With no worker running, it starts one, as run()
   * would. It rejects only when it cannot start (closed pool, module that does
   * not load, unknown task, bad options): the tasks' own failures are outcomes.
   */
  broadcast<K extends TaskName<M>>(
    name: K,
    ...rest: BroadcastArgs<TaskArgs<M, K>>
  ): Promise<BroadcastOutcome<TaskResult<M, K>>[]>;
  broadcast<F extends AnyFn>(
    fn: F,
    ...rest: BroadcastArgs<Parameters<F>>
  ): Promise<BroadcastOutcome<InlineResult<F>>[]>;
  async broadcast(name: string | AnyFn, ...rest: [unknown[]?, BroadcastOptions?]): Promise<BroadcastOutcome[]> {
    let [args = [], options] = rest as [unknown[] | undefined, BroadcastOptions | undefined];
    const core = this.#core;
    if (!core.accepting) throw new PoolClosedError();
    if (core.broken) throw core.broken;
    if (typeof name === 'function') {
      const code = this.#inline(name);
      if (!Array.isArray(args)) throw invalid('args', 'an array of arguments', args);
      name = code.name;
      args = [code.source, ...args];
    } else if (typeof name !== 'string') {
      throw invalid('name', 'a task name (string) or a function', name);
    }
    if (!Array.isArray(args)) throw invalid('args', 'an array of arguments', args);
    const o = knownOptions('options', options, BROADCAST_OPTIONS);
    const signal = checkSignal('options.signal', o?.signal);
    const timeout = o?.timeout === undefined ? this.#o.taskTimeout : taskTimeout('options.timeout', o.timeout, 0);
    if (signal?.aborted) throw new TaskAbortedError(name, signal.reason);
    if (!name.startsWith(INLINE_PREFIX)) {
      // the module's task names are known once a worker loaded it (this starts one if none runs)
      if (core.taskNames === undefined) await core.whenReady();
      if (!core.taskNames!.has(name)) throw new TaskNotFoundError(name, [...core.taskNames!]);
    }
    if (!core.accepting) throw new PoolClosedError();
    const targets = core.broadcastTargets();
    if (targets.length === 0) throw core.broken ?? new PoolClosedError();
    const task = name;
    const all = targets.map(
      (w) =>
        new Promise<BroadcastOutcome>((resolve) => {
          const workerId = w.handle.id;
          const t: PinnedTask = new PinnedTask(
            w,
            this.#nextId++,
            task,
            args,
            undefined,
            0,
            signal,
            timeout,
            (value) => {
              core.unpinned(t);
              resolve({ workerId, status: 'fulfilled', value });
            },
            (reason) => {
              core.unpinned(t);
              resolve({ workerId, status: 'rejected', reason: reason as Error });
            },
            performance.now(),
          );
          core.pin(t);
        }),
    );
    return Promise.all(all);
  }

  /** An inline function's source and name; a `command` pool (another language) cannot run one. */
  #inline(fn: AnyFn): { source: string; name: string } {
    if (this.#o.command)
      throw invalid('fn', 'a task name: a `command` pool runs a program, not JavaScript functions', fn);
    return inline('fn', fn);
  }

  /** A typed function per task: `await pool.proxy().add(1, 2)`; `options` apply to every call. */
  proxy(options?: RunOptions): PoolProxy<M> {
    const cache = new Map<string, (...args: unknown[]) => Promise<unknown>>();
    return new Proxy(Object.create(null), {
      get: (_target, name) => {
        // `then` must stay undefined or `await pool.proxy()` would call a task
        if (typeof name !== 'string' || name === 'then') return undefined;
        let fn = cache.get(name);
        if (!fn) {
          fn = (...args: unknown[]) =>
            (this.run as (n: string, a: unknown[], o?: RunOptions) => Promise<unknown>)(name, args, options);
          cache.set(name, fn);
        }
        return fn;
      },
    }) as PoolProxy<M>;
  }

  /** Resolves when max(1, minWorkers) workers have loaded the module; rejects with its load error. */
  ready(): Promise<void> {
    return this.#core.whenReady();
  }

  /** The task names the module exports, once a worker has loaded it (starts one if none runs). */
  async taskNames(): Promise<string[]> {
    if (this.#core.broken) throw this.#core.broken;
    if (this.#core.taskNames === undefined) await this.#core.whenReady();
    return [...this.#core.taskNames!];
  }

  /**
   * Replaces every worker without losing or re-running a task: new workers
   * start first (they load the modules as they are on disk now) and take
   * tasks once ready; then the old ones hand back the tasks sent ahead that
   * they had not started and finish the ones they run. If a new worker cannot
   * start, the others are stopped again, nothing changes, and it rejects with
   * ERR_POOL_RELOAD_FAILED. Resolves once the old workers have exited.
   * Reloads and scale() run one after the other.
   */
  reload(): Promise<PoolReloadResult> {
    return this.#core.reload();
  }

  /**
   * Sets the pool's size: maxWorkers becomes `workers` (a number or 'auto'),
   * and minWorkers follows when it was equal to maxWorkers (a fixed-size pool
   * stays fixed) or is above the new size. New workers are ready before it
   * resolves (all or nothing: ERR_POOL_SCALE_FAILED); workers it stops
   * (idle ones first) finish the tasks they run and hand back the others.
   * Emits 'scale'.
   */
  scale(workers: number | 'auto'): Promise<PoolScaleResult> {
    let n: number;
    try {
      // a missing size is a mistake, not 'auto' (as it is for the maxWorkers option)
      if (workers === undefined)
        throw invalid('workers', `a positive integer or 'auto' (at most ${MAX_WORKERS})`, workers);
      n = workerCount('workers', workers, () => Math.min(availableCpus(), MAX_WORKERS));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#core.scale(n);
  }

  /** A snapshot of every worker (id order): state, tasks settled, the tasks it runs now. */
  get workers(): PoolWorkerInfo[] {
    return this.#core.workerInfo();
  }

  /** Tasks waiting in the queue (not yet sent to a worker). */
  get queueSize(): number {
    return this.#core.queue.size;
  }

  /** True while the queue holds `maxQueue` tasks: wait for 'drain' before submitting more. */
  get needsDrain(): boolean {
    return this.#core.queue.size >= this.#o.maxQueue;
  }

  /** The options after defaults ('auto' resolved): maxWorkers, maxQueue, ... (durations in ms) */
  get options(): Readonly<Omit<ResolvedOptions, 'workerData' | 'env'>> {
    const { workerData: _d, env: _e, ...rest } = this.#o;
    return rest;
  }

  /** 'running', then 'closing' from close() or destroy() until every worker has exited, then 'closed'. */
  get state(): PoolState {
    return this.#core.state;
  }

  /** A snapshot of the pool's counters and latency percentiles. */
  get stats(): PoolStats {
    const core = this.#core;
    let busy = 0;
    let running = 0;
    for (const w of core.workers) {
      running += w.handle.inflight;
      if (w.handle.inflight > 0) busy++;
    }
    return {
      workers: core.workers.length,
      idleWorkers: core.workers.length - busy,
      busyWorkers: busy,
      queued: core.queue.size,
      running,
      completed: core.stats.completed,
      failed: core.stats.failed,
      utilization: core.stats.utilization(this.#o.maxWorkers),
      runTime: core.stats.runTime(),
      waitTime: core.stats.waitTime(),
    };
  }

  /**
   * Stops accepting tasks (run() rejects with ERR_POOL_CLOSED), lets queued
   * and running tasks finish within `grace` (default: the pool's `grace`,
   * Infinity), then rejects what is left with ERR_POOL_DESTROYED and stops the
   * workers. Resolves `{ clean }` (false when tasks had to be forced) once
   * every worker has exited; never rejects for forced work. Idempotent.
   */
  close(options?: PoolCloseOptions): Promise<CloseResult> {
    let grace: number;
    try {
      const o = knownOptions('options', options, CLOSE_OPTIONS);
      grace = optionalDuration('grace', o?.grace, this.#o.grace, { infinity: true });
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#core.close(grace);
  }

  /** Stops every worker now; queued and running tasks reject with ERR_POOL_DESTROYED. Idempotent. */
  destroy(): Promise<void> {
    return this.#core.destroy();
  }

  /** `await using pool = new Pool(...)` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  override toString(): string {
    const what = this.#o.path === '' ? 'inline functions' : describe(this.#o.path);
    return `Pool(${what}, ${this.#o.runtime}, maxWorkers ${this.#o.maxWorkers})`;
  }
}
