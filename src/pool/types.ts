// Public types of the pool, derived from the worker module's type so that a
// wrong task name or argument is a compile error.

import type { ResourceLimits, TransferListItem } from 'node:worker_threads';
import type { CrashReason } from '../errors/pool.js';
import type { Duration } from '../util/duration.js';

/** Any function. */
export type AnyFn = (...args: any[]) => any;

/** The shape of a task module when nothing more is known. */
export type AnyModule = Record<string, any>;

/** Names of the exported functions of module type `M`. */
export type TaskName<M> = {
  [K in keyof M]-?: M[K] extends AnyFn ? K : never;
}[keyof M] &
  string;

/** Argument list of task `K`. */
export type TaskArgs<M, K extends TaskName<M>> = M[K] extends AnyFn ? Parameters<M[K]> : never;

/** What task `K` resolves to (a `transfer()` wrapper is unwrapped). */
export type TaskResult<M, K extends TaskName<M>> = M[K] extends AnyFn ? Unwrapped<Awaited<ReturnType<M[K]>>> : never;

/** `transfer(value, list)` in a worker returns a Transferred<T>; the caller receives T. */
export interface Transferred<T> {
  readonly value: T;
  readonly transferList: readonly TransferListItem[];
  readonly [transferredBrand]: true;
}
declare const transferredBrand: unique symbol;
type Unwrapped<R> = R extends Transferred<infer V> ? V : R;

/** The arguments after the task name in `run()`: args may be left out when every parameter is optional. */
export type RunArgs<M, K extends TaskName<M>> =
  [] extends TaskArgs<M, K>
    ? [args?: TaskArgs<M, K>, options?: RunOptions]
    : [args: TaskArgs<M, K>, options?: RunOptions];

/** Options for one `run()` call. */
export interface RunOptions {
  /** abort the task: removed at once if queued; running, its `taskSignal()` aborts */
  signal?: AbortSignal;
  /** how long the task may run once started (overrides the pool's `taskTimeout`); `0` or `Infinity`: no limit */
  timeout?: Duration;
  /** objects in the arguments to move instead of copy (ArrayBuffer, MessagePort, ...) */
  transfer?: readonly TransferListItem[];
  /** higher runs first; equal priorities run in submission order (default 0) */
  priority?: number;
  /** called with each value the task passes to `progress()` from spindle/worker (thread and process runtimes) */
  onProgress?: (value: unknown) => void;
  /** a short text naming this call (e.g. a job id), shown with the task in `pool.workers` and `spindle status`; at most 200 characters */
  label?: string;
}

/** A typed function per task: `await proxy.add(1, 2)`. */
export type PoolProxy<M> = {
  readonly [K in TaskName<M>]: (...args: TaskArgs<M, K>) => Promise<TaskResult<M, K>>;
};

/**
 * Options of `new Pool()`: either a Node task module (`worker`), run in
 * threads or processes, or a long-lived program of any language speaking
 * the line protocol (`command`, always processes; see docs/protocol.md).
 * Without either, the pool runs inline functions only (`pool.run(fn, args)`).
 */
export type PoolOptions = ModulePoolOptions | CommandPoolOptions;

/** The arguments after the function in `run(fn, ...)`: args may be left out when every parameter is optional. */
export type InlineArgs<F extends AnyFn> =
  [] extends Parameters<F> ? [args?: Parameters<F>, options?: RunOptions] : [args: Parameters<F>, options?: RunOptions];

/** What an inline function's call resolves to (a `transfer()` wrapper is unwrapped). */
export type InlineResult<F extends AnyFn> = Unwrapped<Awaited<ReturnType<F>>>;

/** `workerData` given as a function: called in the parent as each worker starts; what it returns is that worker's data. */
export type WorkerDataFn = (worker: { workerId: number }) => unknown;

/** Options of a pool running a Node task module (or, without `worker`, inline functions only). */
export interface ModulePoolOptions extends CommonPoolOptions {
  /**
   * the task module: a `file:` URL, a `file:` URL string or a path (.js, .mjs, .cjs, .ts);
   * `tasks.js` names `tasks.ts` when only that one exists, as in TypeScript. Left out:
   * the pool runs inline functions only (`pool.run(fn, args)`)
   */
  worker?: string | URL;
  command?: undefined;
  /**
   * a module each worker imports before the task module; its default export, when
   * a function, runs once per worker (`{ workerId, workerData }`) and is awaited before
   * the worker takes tasks; what it returns, when a function, is the worker's teardown
   * (run when the pool stops the worker; see docs/pool.md). A failure is ERR_WORKER_LOAD
   */
  setup?: string | URL;
  /** 'thread' (default) or 'process' */
  runtime?: 'thread' | 'process';
  /**
   * worker_threads resource limits in MB (thread runtime only; processes take
   * `execArgv: ['--max-old-space-size=N']`): `maxOldGenerationSizeMb` 16..2^20,
   * `maxYoungGenerationSizeMb` and `codeRangeSizeMb` 1..2^20, `stackSizeMb` 1..1024
   */
  resourceLimits?: ResourceLimits;
  /** Node flags for the workers (default: the parent's, minus -e/-p/--input-type, and --inspect for processes) */
  execArgv?: string[];
  /**
   * value available as `workerData` from node:worker_threads in the workers (cloned once per
   * worker); a function is called in the parent for each worker as it starts, with `{ workerId }`,
   * and gives that worker's data
   */
  workerData?: WorkerDataFn | NonNullable<unknown> | null;
  /** replace a worker after this many tasks or past this heap size */
  recycle?: { afterTasks?: number; maxHeapMb?: number };
}

/** Options of a pool running a program that speaks the line protocol (docs/protocol.md). */
export interface CommandPoolOptions extends CommonPoolOptions {
  /** the program and its arguments, e.g. `['python3', 'worker.py']`; one long-lived process per worker */
  command: readonly string[];
  worker?: undefined;
  /** always 'process' (the default when `command` is given) */
  runtime?: 'process';
  /** replace a worker after this many tasks */
  recycle?: { afterTasks?: number };
}

/** Options every pool takes. */
export interface CommonPoolOptions {
  /**
   * the pool's name in metrics (the `pool` label) and traces (default: the task
   * module's file name without its extension, e.g. 'resize' for './resize.js';
   * the program's for a command pool; 'inline' for a pool of inline functions).
   * Pools of one name in one process add up in metrics.
   */
  name?: string;
  /** workers kept alive even when idle (default 0) */
  minWorkers?: number;
  /** upper bound, 1 to 1024; 'auto' = CPUs available to this process, container quota included (default) */
  maxWorkers?: number | 'auto';
  /** how long an idle worker above `minWorkers` lives (default 10s); `Infinity`: for ever */
  idleTimeout?: Duration;
  /** tasks that may wait in the queue; 'auto' = maxWorkers² × concurrency; default Infinity */
  maxQueue?: number | 'auto';
  /** tasks one worker runs at once, 1 to 10 000; only useful for async tasks (default 1) */
  concurrency?: number;
  /** default time limit of a task, counted from its start (default none); `0` or `Infinity`: no limit */
  taskTimeout?: Duration;
  /** how long a task may keep running after an abort or timeout before its worker is replaced (default 1s) */
  abortGrace?: Duration;
  /**
   * how long a worker may take to load the module (default 60s); past it the pool
   * fails with ERR_WORKER_LOAD, as for a module that throws. `Infinity`: no limit
   */
  loadTimeout?: Duration;
  /** the default `grace` of `close()` (default `Infinity`: every queued task runs) */
  grace?: Duration;
  /**
   * variables of the workers' environment, merged over `process.env` (`undefined`
   * removes one); default the parent's environment
   */
  env?: Record<string, string | undefined>;
  /** false: the workers' environment is `env` alone, not merged over `process.env` (default true) */
  extendEnv?: boolean;
  /** working directory of the workers (process runtime only; default the parent's) */
  cwd?: string | URL;
  /**
   * where workers' stdout/stderr go (process runtime only): 'inherit' (default) the
   * parent's, 'prefix' the parent's with each line prefixed `[worker N] `, 'ignore' nowhere
   */
  stdio?: 'inherit' | 'prefix' | 'ignore';
  /**
   * time between the steps of stopping a worker process: a stop request (idle) or SIGTERM
   * (busy), then SIGTERM, then SIGKILL (process runtime; default 3s; 0 = SIGKILL at once).
   * Thread runtime, with `setup` only: how long an idle thread asked to stop may run its
   * teardown before it is terminated
   */
  killGrace?: Duration;
  /**
   * your own error classes: an error of one of them thrown by a task is rebuilt as
   * that class (matched by class name), so `instanceof` works (see docs/pool.md)
   */
  errorClasses?: readonly (abstract new (
    ...args: any[]
  ) => Error)[];
}

/** Options of `pool.broadcast()`. */
export interface BroadcastOptions {
  /** abort every task of the broadcast: those not started never run, running ones see `taskSignal()` abort */
  signal?: AbortSignal;
  /** how long each task may run once started (overrides the pool's `taskTimeout`); `0` or `Infinity`: no limit */
  timeout?: Duration;
}

/** One worker's outcome of `pool.broadcast()`: the task's result, or why it failed (a coded error, or the task's own). */
export type BroadcastOutcome<T = unknown> =
  | { workerId: number; status: 'fulfilled'; value: T }
  | { workerId: number; status: 'rejected'; reason: Error };

/** Payload of the pool's 'workerCreate' and 'workerReady' events. */
export interface PoolWorkerEvent {
  /** the worker's id (1, 2, …) */
  id: number;
  /** the process id of a process worker; undefined for a thread */
  pid: number | undefined;
}

/** Where a pool is in its life: `pool.state`. */
export type PoolState = 'running' | 'closing' | 'closed';

/** Options of `pool.close()`. */
export interface PoolCloseOptions {
  /** how long queued and running tasks may take before they are forced (default: the pool's `grace`, Infinity) */
  grace?: Duration;
}

/** What `pool.close()` resolves with. */
export interface CloseResult {
  /** false when tasks had to be forced (they rejected with ERR_POOL_DESTROYED) */
  clean: boolean;
}

/** Payload of the pool's 'workerExit' event. */
export interface PoolWorkerExitEvent {
  /** the worker's id (1, 2, …) */
  id: number;
  /** the process id of a process worker; undefined for a thread */
  pid: number | undefined;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** true when the pool stopped it (idle, recycled, close, destroy) */
  expected: boolean;
  reason: CrashReason;
  /** what happened, in words: "exited with code 1", "was stopped" */
  detail: string;
}

/** What `pool.reload()` resolves with. */
export interface PoolReloadResult {
  /** the new workers (pid: a process worker's; null for a thread) */
  workers: { id: number; pid: number | null }[];
  /** the ids of the workers they replaced (all exited by now) */
  replaced: number[];
}

/** What `pool.scale()` resolves with, and the payload of the 'scale' event. */
export interface PoolScaleResult {
  /** maxWorkers now */
  workers: number;
  /** maxWorkers before */
  previous: number;
  /** ids of the workers started (ready by now) */
  started: number[];
  /** ids of the workers stopped (exited by now) */
  stopped: number[];
}

/** One worker in `pool.workers`. */
export interface PoolWorkerInfo {
  /** the worker's id (1, 2, …) */
  id: number;
  /** a process worker's pid; null for a thread */
  pid: number | null;
  /**
   * 'starting' (loading the modules), 'idle', 'busy' (runs a task), 'retiring'
   * (reload, scale, recycle: finishes what it runs, takes nothing new), 'stopping'
   */
  state: 'starting' | 'idle' | 'busy' | 'retiring' | 'stopping';
  /** tasks it delivered a result or an error for, in its life */
  tasks: number;
  /** the tasks it runs now: name, start time (ms since the epoch) and the `label` given to run(), or null */
  running: { name: string; since: number; label: string | null }[];
  /** tasks sent ahead to it that it has not started */
  queued: number;
}

/** Payload of the pool's 'deadlock' event. */
export interface PoolDeadlockEvent {
  /** the workers, every one blocked on a spindle/shared primitive */
  workers: number[];
  /** the tasks running on them (names) */
  blocked: string[];
  /** tasks waiting to start (names, oldest first, at most 20) */
  waiting: string[];
  /** how many tasks wait to start in all */
  waitingCount: number;
}

/** Percentiles of a duration distribution, in milliseconds. */
export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** A snapshot of the pool's state: `pool.stats`. */
export interface PoolStats {
  workers: number;
  idleWorkers: number;
  busyWorkers: number;
  /** tasks waiting in the queue (not yet sent to a worker) */
  queued: number;
  /** tasks sent to workers and not yet settled */
  running: number;
  completed: number;
  failed: number;
  /** share of the workers' time spent running tasks since the pool started (0..1) */
  utilization: number;
  /** how long tasks ran */
  runTime: Percentiles;
  /** how long tasks waited between run() and their start */
  waitTime: Percentiles;
}
