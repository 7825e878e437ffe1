// Validates `new Pool()` options once, so the hot path can trust them.
import { type Stats, statSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { WorkerNotFoundError } from '../errors/index.js';
import type { ErrorClasses } from '../errors/remote.js';
import type { StdioMode } from '../runtime/process/output.js';
import { availableCpus } from '../util/cpus.js';
import { optionalDuration } from '../util/duration.js';
import { checkEnv, type EnvOption } from '../util/env.js';
import { knownOptions } from '../util/known.js';
import { toDirectory, toPath } from '../util/paths.js';
import { typescriptSource } from '../util/ts-source.js';
import {
  checkOneOf,
  describe,
  invalid,
  MAX_WORKERS,
  optionalNumber,
  readable,
  stringArray,
  workerCount,
} from '../util/validate.js';
import type { PoolOptions } from './types.js';

export interface ResolvedOptions {
  /** the `pool` label of its metrics */
  name: string;
  /** file URL of the task module (a command pool: the command line, for messages; '' for none: inline functions only) */
  url: string;
  /** filesystem path of the task module (a command pool: the program; '' for none) */
  path: string;
  /** file URL of the setup module run in each worker before the task module; '' for none */
  setup: string;
  /** the program and its arguments, for a pool of line-protocol workers */
  command: string[] | undefined;
  runtime: 'thread' | 'process';
  minWorkers: number;
  maxWorkers: number;
  idleTimeout: number;
  maxQueue: number;
  concurrency: number;
  /** ms a task may run once started; 0 = no limit */
  taskTimeout: number;
  abortGrace: number;
  /** ms a worker may take to load the module; Infinity = no limit */
  loadTimeout: number;
  /** close()'s default grace; Infinity = every queued task runs */
  grace: number;
  afterTasks: number;
  maxHeapMb: number;
  resourceLimits: ResourceLimits | undefined;
  /** variables merged over process.env (or, with extendEnv false, alone) when a worker starts */
  env: EnvOption | undefined;
  extendEnv: boolean;
  execArgv: string[] | undefined;
  /** cloned once per worker; a function is called in the parent for each worker (`{ workerId }`) */
  workerData: unknown;
  cwd: string | undefined;
  stdio: StdioMode;
  killGrace: number;
  /** the user's error classes, rebuilt as themselves when a task throws one */
  errorClasses: ErrorClasses | undefined;
}

const known: ReadonlySet<string> = new Set([
  'name',
  'worker',
  'command',
  'setup',
  'runtime',
  'minWorkers',
  'maxWorkers',
  'idleTimeout',
  'maxQueue',
  'concurrency',
  'taskTimeout',
  'abortGrace',
  'loadTimeout',
  'grace',
  'resourceLimits',
  'env',
  'extendEnv',
  'execArgv',
  'workerData',
  'recycle',
  'cwd',
  'stdio',
  'killGrace',
  'errorClasses',
]);

const RECYCLE: ReadonlySet<string> = new Set(['afterTasks', 'maxHeapMb']);

/** Options that only one kind of pool understands: given to another, they are an error, not ignored. */
const threadOnly = ['resourceLimits'];
const processOnly = ['cwd', 'stdio']; // and killGrace, unless a thread pool has `setup` (below)
const moduleOnly = ['execArgv', 'workerData', 'setup'];

const DEFAULT_KILL_GRACE = 3000;
const DEFAULT_LOAD_TIMEOUT = 60_000;

/**
 * Tasks one worker may run at once: a typo past it would size a worker's
 * bookkeeping for millions of tasks. (Worker counts: MAX_WORKERS, shared with
 * the cluster, util/validate.ts.)
 */
export const MAX_CONCURRENCY = 10_000;

/**
 * worker_threads resource limits, in MB. A stack under ~0.25 MB crashes the
 * whole process (Node's bootstrap overflows it) and one of many GB fails to
 * start; a heap under ~6 MB cannot even load the runner.
 */
const LIMITS: Record<string, { min: number; max: number }> = {
  maxOldGenerationSizeMb: { min: 16, max: 1_048_576 },
  maxYoungGenerationSizeMb: { min: 1, max: 1_048_576 },
  codeRangeSizeMb: { min: 1, max: 1_048_576 },
  stackSizeMb: { min: 1, max: 1024 },
};
const LIMIT_NAMES: ReadonlySet<string> = new Set(Object.keys(LIMITS));

/**
 * Accepts a URL, a `file:` URL string, or a path relative to the working
 * directory; `tasks.js` names `tasks.ts` when only that one exists.
 */
export function resolveWorker(worker: unknown, option: 'worker' | 'setup' = 'worker'): { url: string; path: string } {
  const what = option === 'worker' ? 'task module' : 'setup module';
  const path = typescriptSource(toPath(option, worker));
  let stat: Stats | undefined;
  try {
    stat = statSync(path, { throwIfNoEntry: false });
  } catch {
    stat = undefined; // ENAMETOOLONG, ENOTDIR, EACCES: not a file we can load
  }
  if (stat?.isDirectory()) throw invalid(option, `a file (the ${what}), not a directory`, worker);
  if (!stat) throw new WorkerNotFoundError(path, option === 'worker' ? 'worker module' : 'setup module');
  return { url: pathToFileURL(path).href, path };
}

function resolveCommand(value: unknown): string[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.some((v) => typeof v !== 'string' || v.includes('\0')) ||
    value[0] === ''
  )
    throw invalid('command', 'a non-empty array of strings (the program, then its arguments)', value);
  return [...value];
}

/** Rejects options that the chosen kind of pool would silently ignore. */
function checkApplicable(raw: Record<string, unknown>, runtime: string, command: boolean): void {
  for (const key of threadOnly) {
    if (raw[key] !== undefined && runtime !== 'thread')
      throw invalid(key, "given only with runtime 'thread'", raw[key]);
  }
  for (const key of processOnly) {
    if (raw[key] !== undefined && runtime !== 'process')
      throw invalid(key, "given only with runtime 'process'", raw[key]);
  }
  if (!command) return;
  for (const key of moduleOnly) {
    if (raw[key] !== undefined)
      throw invalid(key, 'given only with `worker` (a Node task module), not with `command`', raw[key]);
  }
  const recycle = raw.recycle as Record<string, unknown> | undefined;
  if (recycle !== null && typeof recycle === 'object' && recycle.maxHeapMb !== undefined)
    throw invalid(
      'recycle.maxHeapMb',
      'given only with `worker`: the heap of another program is not measured',
      recycle.maxHeapMb,
    );
}

function stringList(option: string, value: unknown): string[] | undefined {
  return value === undefined ? undefined : stringArray(option, value);
}

function resourceLimits(value: unknown): ResourceLimits | undefined {
  const raw = knownOptions('resourceLimits', value, LIMIT_NAMES);
  if (raw === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const key of Object.keys(raw)) {
    const range = LIMITS[key]!;
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v >= range.min && v <= range.max))
      throw invalid(`resourceLimits.${key}`, `a number of MB from ${range.min} to ${range.max}`, v);
    out[key] = v;
  }
  return out;
}

/** Validates an `errorClasses` option (Pool, JobQueue): a map by class name, or undefined. */
export function errorClasses(value: unknown): ErrorClasses | undefined {
  if (value === undefined) return undefined;
  const expected = 'an array of Error classes (e.g. `[MyError]`)';
  if (!Array.isArray(value)) throw invalid('errorClasses', expected, value);
  const map = new Map<string, abstract new (...args: any[]) => Error>();
  for (let i = 0; i < value.length; i++) {
    const cls: unknown = value[i];
    const isErrorClass =
      typeof cls === 'function' &&
      typeof cls.name === 'string' &&
      cls.name !== '' &&
      (cls === Error || (cls.prototype as unknown) instanceof Error);
    if (!isErrorClass) throw invalid(`errorClasses[${i}]`, 'a named class that extends Error', cls);
    const named = cls as abstract new (...args: any[]) => Error;
    const other = map.get(named.name);
    if (other !== undefined && other !== named)
      throw invalid(`errorClasses[${i}]`, `the only class named '${named.name}'`, describe(cls));
    map.set(named.name, named);
  }
  return map.size > 0 ? map : undefined;
}

/** `env` and `extendEnv` (util/env.ts), with names a process can receive. */
function environment(env: unknown, extendEnv: unknown): { env: EnvOption | undefined; extendEnv: boolean } {
  const checked = checkEnv(env, extendEnv); // NUL bytes refused there
  for (const k of Object.keys(checked.env ?? {})) {
    // an empty name or one with '=' cannot be set: a process would see another variable, or none
    if (k === '' || k.includes('=')) throw invalid('env', "variable names that are not empty and have no '='", k);
  }
  return checked;
}

/** Checks every option and fills in the defaults. */
export function resolveOptions(options: PoolOptions | undefined): ResolvedOptions {
  return readable('options', options, () => resolveAll(options));
}

function resolveAll(options: PoolOptions | undefined): ResolvedOptions {
  // no options, or no `worker` nor `command`: a pool for inline functions only
  const raw = knownOptions('options', options, known) ?? {};
  const command = raw.command === undefined ? undefined : resolveCommand(raw.command);
  if (command && raw.worker !== undefined) throw invalid('worker', 'left out when `command` is given', raw.worker);
  const runtime =
    raw.runtime === undefined
      ? command
        ? 'process'
        : 'thread'
      : checkOneOf('runtime', raw.runtime, ['thread', 'process']);
  if (command && runtime !== 'process')
    throw invalid('runtime', "'process' when `command` is given (other programs run as processes)", raw.runtime);
  checkApplicable(raw, runtime, command !== undefined);
  if (raw.killGrace !== undefined && runtime === 'thread' && raw.setup === undefined)
    throw invalid(
      'killGrace',
      "given only with runtime 'process', or with `setup` (the time a thread's teardown may take)",
      raw.killGrace,
    );
  const maxWorkers = workerCount('maxWorkers', raw.maxWorkers, () => Math.min(availableCpus(), MAX_WORKERS));
  const minWorkers = optionalNumber('minWorkers', raw.minWorkers, 0, { integer: true });
  if (minWorkers > maxWorkers) throw invalid('minWorkers', `at most maxWorkers (${maxWorkers})`, minWorkers);
  const concurrency = optionalNumber('concurrency', raw.concurrency, 1, { integer: true, min: 1 });
  if (concurrency > MAX_CONCURRENCY)
    throw invalid('concurrency', `an integer from 1 to ${MAX_CONCURRENCY}`, concurrency);
  const maxQueue =
    raw.maxQueue === 'auto'
      ? maxWorkers * maxWorkers * concurrency
      : optionalNumber('maxQueue', raw.maxQueue, Number.POSITIVE_INFINITY, {
          integer: true,
          min: 1, // 0 would refuse every task
          allowInfinity: true,
        });
  const recycle = knownOptions('recycle', raw.recycle, RECYCLE) ?? {};
  const env = environment(raw.env, raw.extendEnv);
  // the worker's own task module: paths are checked after the cheap options, a failed stat is no worse
  const { url, path } = command
    ? { url: command.join(' '), path: command[0]! }
    : raw.worker === undefined
      ? { url: '', path: '' }
      : resolveWorker(raw.worker);
  const setup = raw.setup === undefined ? '' : resolveWorker(raw.setup, 'setup').url;
  return {
    name: poolName(raw.name, path),
    url,
    path,
    setup,
    command,
    runtime,
    minWorkers,
    maxWorkers,
    concurrency,
    maxQueue,
    idleTimeout: optionalDuration('idleTimeout', raw.idleTimeout, 10_000, { infinity: true }),
    taskTimeout: taskTimeout('taskTimeout', raw.taskTimeout, 0),
    abortGrace: optionalDuration('abortGrace', raw.abortGrace, 1000),
    loadTimeout: optionalDuration('loadTimeout', raw.loadTimeout, DEFAULT_LOAD_TIMEOUT, { min: 1, infinity: true }),
    grace: optionalDuration('grace', raw.grace, Number.POSITIVE_INFINITY, { infinity: true }),
    afterTasks: optionalNumber('recycle.afterTasks', recycle.afterTasks, Number.POSITIVE_INFINITY, {
      integer: true,
      min: 1,
      allowInfinity: true,
    }),
    maxHeapMb: optionalNumber('recycle.maxHeapMb', recycle.maxHeapMb, 0, { min: 1 }),
    resourceLimits: resourceLimits(raw.resourceLimits),
    env: env.env,
    extendEnv: env.extendEnv,
    execArgv: stringList('execArgv', raw.execArgv),
    workerData: raw.workerData,
    cwd: raw.cwd === undefined ? undefined : toDirectory('cwd', raw.cwd),
    stdio: raw.stdio === undefined ? 'inherit' : checkOneOf('stdio', raw.stdio, ['inherit', 'prefix', 'ignore']),
    killGrace: optionalDuration('killGrace', raw.killGrace, DEFAULT_KILL_GRACE),
    errorClasses: errorClasses(raw.errorClasses),
  };
}

/** The `name` option, or the default: the module's (or program's) base name without extension; 'inline' without one. */
function poolName(value: unknown, path: string): string {
  if (value !== undefined) {
    if (typeof value !== 'string' || value === '' || value.length > 128 || /[\u0000-\u001f]/.test(value))
      throw invalid('name', 'a non-empty string of at most 128 characters without control characters', value);
    return value;
  }
  if (path === '') return 'inline';
  return basename(path).replace(/\.(?:[cm]?[jt]s|tsx)$/, '') || 'inline';
}

/**
 * A task time limit (the pool's `taskTimeout`, a run's `timeout`): a duration,
 * where 0 and Infinity both mean no limit. Returns ms, 0 for no limit.
 */
export function taskTimeout(option: string, value: unknown, fallback: number): number {
  const ms = optionalDuration(option, value, fallback, { infinity: true });
  return Number.isFinite(ms) ? ms : 0;
}
