// Validates `new Pool()` options once, so the hot path can trust them.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { WorkerNotFoundError } from '../errors/index.js';
import type { StdioMode } from '../runtime/process/output.js';
import { availableCpus } from '../util/cpus.js';
import { optionalDuration } from '../util/duration.js';
import { checkObject, checkOneOf, invalid, optionalNumber } from '../util/validate.js';
import type { PoolOptions } from './types.js';

export interface ResolvedOptions {
  /** file URL of the task module (a command pool: the command line, for messages) */
  url: string;
  /** filesystem path of the task module (a command pool: the program) */
  path: string;
  /** the program and its arguments, for a pool of line-protocol workers */
  command: string[] | undefined;
  runtime: 'thread' | 'process';
  minWorkers: number;
  maxWorkers: number;
  idleTimeout: number;
  maxQueue: number;
  concurrency: number;
  taskTimeout: number;
  abortGrace: number;
  afterTasks: number;
  maxHeapMb: number;
  resourceLimits: ResourceLimits | undefined;
  env: Record<string, string | undefined> | undefined;
  execArgv: string[] | undefined;
  workerData: unknown;
  cwd: string | undefined;
  stdio: StdioMode;
  killGrace: number;
}

const known = new Set([
  'worker',
  'command',
  'runtime',
  'minWorkers',
  'maxWorkers',
  'idleTimeout',
  'maxQueue',
  'concurrency',
  'taskTimeout',
  'abortGrace',
  'resourceLimits',
  'env',
  'execArgv',
  'workerData',
  'recycle',
  'cwd',
  'stdio',
  'killGrace',
]);

/** Options that only one kind of pool understands: given to another, they are an error, not ignored. */
const threadOnly = ['resourceLimits'];
const processOnly = ['cwd', 'stdio', 'killGrace'];
const moduleOnly = ['execArgv', 'workerData'];

const DEFAULT_KILL_GRACE = 3000;

/** Accepts a URL, a `file:` URL string, or a path relative to the working directory. */
export function resolveWorker(worker: unknown): { url: string; path: string } {
  let path: string;
  if (worker instanceof URL) {
    if (worker.protocol !== 'file:') throw invalid('worker', 'a file: URL or a path', worker.href);
    path = fileURLToPath(worker);
  } else if (typeof worker === 'string' && worker.length > 0) {
    path = worker.startsWith('file:') ? fileURLToPath(worker) : isAbsolute(worker) ? worker : resolve(worker);
  } else {
    throw invalid('worker', 'a file URL or a path to the task module', worker);
  }
  if (!existsSync(path)) throw new WorkerNotFoundError(path);
  return { url: pathToFileURL(path).href, path };
}

function resolveCommand(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string') || value[0] === '')
    throw invalid('command', 'a non-empty array of strings (the program, then its arguments)', value);
  return [...value];
}

function resolveCwd(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  let path: string | undefined;
  if (value instanceof URL && value.protocol === 'file:') path = fileURLToPath(value);
  else if (typeof value === 'string' && value.length > 0) path = resolve(value);
  if (path === undefined || !statSync(path, { throwIfNoEntry: false })?.isDirectory())
    throw invalid('cwd', 'an existing directory (a path or a file: URL)', value);
  return path;
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
  if (recycle?.maxHeapMb !== undefined)
    throw invalid(
      'recycle.maxHeapMb',
      'given only with `worker`: the heap of another program is not measured',
      recycle.maxHeapMb,
    );
}

function stringList(option: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw invalid(option, 'an array of strings', value);
  return [...value];
}

function envRecord(value: unknown): Record<string, string | undefined> | undefined {
  const env = checkObject('env', value);
  if (env === undefined) return undefined;
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && typeof v !== 'string') throw invalid(`env.${k}`, 'a string', v);
  }
  return env as Record<string, string | undefined>;
}

/** Checks every option and fills in the defaults. */
export function resolveOptions(options: PoolOptions): ResolvedOptions {
  const raw = checkObject('options', options);
  if (raw === undefined) throw invalid('options', 'an object with at least `worker`', options);
  for (const key of Object.keys(raw)) {
    if (!known.has(key))
      throw invalid('options', `made of known options (${[...known].join(', ')})`, `unknown option \`${key}\``);
  }
  const command = raw.command === undefined ? undefined : resolveCommand(raw.command);
  if (command && raw.worker !== undefined) throw invalid('worker', 'left out when `command` is given', raw.worker);
  const { url, path } = command ? { url: command.join(' '), path: command[0]! } : resolveWorker(raw.worker);
  const runtime =
    raw.runtime === undefined
      ? command
        ? 'process'
        : 'thread'
      : checkOneOf('runtime', raw.runtime, ['thread', 'process']);
  if (command && runtime !== 'process')
    throw invalid('runtime', "'process' when `command` is given (other programs run as processes)", raw.runtime);
  checkApplicable(raw, runtime, command !== undefined);
  const maxWorkers =
    raw.maxWorkers === undefined || raw.maxWorkers === 'auto'
      ? availableCpus()
      : typeof raw.maxWorkers === 'number' && Number.isInteger(raw.maxWorkers) && raw.maxWorkers >= 1
        ? raw.maxWorkers
        : (() => {
            throw invalid('maxWorkers', "a positive integer or 'auto'", raw.maxWorkers);
          })();
  const minWorkers = optionalNumber('minWorkers', raw.minWorkers, 0, { integer: true });
  if (minWorkers > maxWorkers) throw invalid('minWorkers', `at most maxWorkers (${maxWorkers})`, minWorkers);
  const concurrency = optionalNumber('concurrency', raw.concurrency, 1, { integer: true, min: 1 });
  const maxQueue =
    raw.maxQueue === 'auto'
      ? maxWorkers * maxWorkers * concurrency
      : optionalNumber('maxQueue', raw.maxQueue, Number.POSITIVE_INFINITY, { integer: true, allowInfinity: true });
  const recycle = checkObject('recycle', raw.recycle) ?? {};
  for (const key of Object.keys(recycle)) {
    if (key !== 'afterTasks' && key !== 'maxHeapMb')
      throw invalid('recycle', "made of 'afterTasks' and 'maxHeapMb'", `unknown key \`${key}\``);
  }
  return {
    url,
    path,
    command,
    runtime,
    minWorkers,
    maxWorkers,
    concurrency,
    maxQueue,
    idleTimeout: optionalDuration('idleTimeout', raw.idleTimeout, 10_000, { infinity: true }),
    taskTimeout: optionalDuration('taskTimeout', raw.taskTimeout, 0, { min: 1, infinity: true }),
    abortGrace: optionalDuration('abortGrace', raw.abortGrace, 1000),
    afterTasks: optionalNumber('recycle.afterTasks', recycle.afterTasks, Number.POSITIVE_INFINITY, {
      integer: true,
      min: 1,
      allowInfinity: true,
    }),
    maxHeapMb: optionalNumber('recycle.maxHeapMb', recycle.maxHeapMb, 0, { min: 1 }),
    resourceLimits: checkObject('resourceLimits', raw.resourceLimits) as ResourceLimits | undefined,
    env: envRecord(raw.env),
    execArgv: stringList('execArgv', raw.execArgv),
    workerData: raw.workerData,
    cwd: resolveCwd(raw.cwd),
    stdio: raw.stdio === undefined ? 'inherit' : checkOneOf('stdio', raw.stdio, ['inherit', 'prefix', 'ignore']),
    killGrace: optionalDuration('killGrace', raw.killGrace, DEFAULT_KILL_GRACE),
  };
}
