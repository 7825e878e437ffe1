// The public Pool: validates calls, creates tasks, owns the lifecycle and the
// events. The scheduling logic lives in core.ts.
import { EventEmitter } from 'node:events';
import type { TransferListItem } from 'node:worker_threads';
import {
  PoolClosedError,
  PoolCloseTimeoutError,
  PoolQueueFullError,
  TaskAbortedError,
  TaskNotFoundError,
} from '../errors/index.js';
import { optionalDuration, parseDuration } from '../util/duration.js';
import { checkObject, checkSignal, describe, invalid } from '../util/validate.js';
import { type CoreEvents, PoolCore, type WorkerExitEvent } from './core.js';
import { type ResolvedOptions, resolveOptions } from './options.js';
import { runtimeFactory } from './runtimes.js';
import { Task } from './task.js';
import type {
  AnyModule,
  PoolOptions,
  PoolProxy,
  PoolStats,
  RunArgs,
  RunOptions,
  TaskName,
  TaskResult,
} from './types.js';

/** Events of a Pool. */
export interface PoolEvents {
  /** the queue became empty: a producer held back by `maxQueue` may submit again */
  drain: [];
  workerCreate: [{ id: number }];
  workerExit: [WorkerExitEvent];
  /** a failure not tied to any task (e.g. a worker died while idle); only emitted when listened to */
  error: [Error];
}

const noOptions: RunOptions = {};

/**
 * A pool of workers running the exported functions of one module. Typed from
 * that module: `new Pool<typeof import('./tasks.js')>({ worker: new URL('./tasks.js', import.meta.url) })`.
 */
export class Pool<M = AnyModule> extends EventEmitter<PoolEvents> {
  readonly #o: ResolvedOptions;
  readonly #core: PoolCore;
  #nextId = 1;
  #closing: Promise<void> | undefined;
  #destroying: Promise<void> | undefined;

  constructor(options: PoolOptions) {
    super();
    this.#o = resolveOptions(options);
    const events: CoreEvents = {
      emit: (event, ...args) => this.emit(event as keyof PoolEvents, ...(args as [never])),
      listens: (event) => this.listenerCount(event as keyof PoolEvents) > 0,
    };
    this.#core = new PoolCore(this.#o, runtimeFactory(this.#o), events);
    this.#core.ensureMinWorkers();
  }

  /** Runs task `name` with `args` on a worker; settles with its result or a coded error. */
  run<K extends TaskName<M>>(name: K, ...rest: RunArgs<M, K>): Promise<TaskResult<M, K>> {
    const [args = [], options = noOptions] = rest as [unknown[] | undefined, RunOptions | undefined];
    const core = this.#core;
    if (!core.accepting) return Promise.reject(new PoolClosedError());
    if (core.broken) return Promise.reject(core.broken);
    if (typeof name !== 'string') return Promise.reject(invalid('name', 'a task name (string)', name));
    if (core.taskNames !== undefined && !core.taskNames.has(name))
      return Promise.reject(new TaskNotFoundError(name, [...core.taskNames]));
    if (!Array.isArray(args)) return Promise.reject(invalid('args', 'an array of arguments', args));
    let signal: AbortSignal | undefined;
    let timeout = this.#o.taskTimeout;
    let transfer: readonly TransferListItem[] | undefined;
    let priority = 0;
    let onProgress: ((value: unknown) => void) | undefined;
    if (options !== noOptions) {
      try {
        checkObject('options', options);
        signal = checkSignal('options.signal', options.signal);
        if (options.timeout !== undefined)
          timeout = parseDuration('options.timeout', options.timeout, { min: 1, infinity: true });
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
      } catch (err) {
        return Promise.reject(err);
      }
      if (signal?.aborted) return Promise.reject(new TaskAbortedError(name, signal.reason));
    }
    if (core.queue.size >= this.#o.maxQueue) return Promise.reject(new PoolQueueFullError(this.#o.maxQueue));
    if (!Number.isFinite(timeout)) timeout = 0;
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
    core.submit(task);
    return promise as Promise<TaskResult<M, K>>;
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
    if (this.#core.taskNames === undefined) await this.#core.whenReady();
    return [...this.#core.taskNames!];
  }

  /** Tasks waiting in the queue (not yet sent to a worker). */
  get queueSize(): number {
    return this.#core.queue.size;
  }

  /** True while the queue holds `maxQueue` tasks: wait for 'drain' before submitting more. */
  get needsDrain(): boolean {
    return this.#core.queue.size >= this.#o.maxQueue;
  }

  /** The options after defaults ('auto' resolved): maxWorkers, maxQueue, ... */
  get options(): Readonly<Omit<ResolvedOptions, 'workerData' | 'env'>> {
    const { workerData: _d, env: _e, ...rest } = this.#o;
    return rest;
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
   * Stops accepting tasks, finishes what is queued and running, then stops
   * the workers. With `timeout` (ms), whatever is left then is destroyed and
   * close() rejects with ERR_POOL_CLOSE_TIMEOUT. Idempotent.
   */
  close(options: { timeout?: number } = {}): Promise<void> {
    if (this.#closing) return this.#closing;
    const timeout = optionalDuration('timeout', options.timeout, Number.POSITIVE_INFINITY, { infinity: true });
    this.#core.accepting = false;
    this.#closing = (async () => {
      if (this.#destroying) return this.#destroying;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = Number.isFinite(timeout)
        ? new Promise<boolean>((r) => {
            timer = setTimeout(r, timeout, true);
          })
        : undefined;
      const finished = await (timedOut
        ? Promise.race([this.#core.whenIdle().then(() => false), timedOut])
        : this.#core.whenIdle().then(() => false));
      if (timer) clearTimeout(timer);
      if (finished) {
        const err = new PoolCloseTimeoutError(timeout);
        await this.destroy();
        throw err;
      }
      await this.destroy();
    })();
    return this.#closing;
  }

  /** Stops every worker now; queued and running tasks reject with ERR_POOL_DESTROYED. Idempotent. */
  destroy(): Promise<void> {
    this.#destroying ??= this.#core.destroy();
    return this.#destroying;
  }

  /** `await using pool = new Pool(...)` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  override toString(): string {
    return `Pool(${describe(this.#o.path)}, ${this.#o.runtime}, maxWorkers ${this.#o.maxWorkers})`;
  }
}
