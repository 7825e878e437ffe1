// Loads the user's task module inside a worker and lists its tasks.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { toRemote } from '../../errors/remote.js';
import { INLINE_PREFIX, Kind, type LoadErrorMessage } from '../protocol.js';
import { runSetup, type Teardown } from './setup.js';

export type TaskFn = (...args: unknown[]) => unknown;

let tsxRegistered = false;

/**
 * Node >= 22.6 can strip types itself (process.features.typescript says so
 * once it is on); Node 20 cannot import .ts at all. There, register tsx's
 * loader (resolved from the task module's folder, then the working
 * directory) before the first import: a failed import is cached per URL.
 */
async function registerTsx(url: string): Promise<boolean> {
  if (tsxRegistered) return true;
  const bases = [fileURLToPath(url), `${process.cwd()}/noop.js`];
  for (const base of bases) {
    try {
      const api = resolveImport(base, 'tsx', './esm/api');
      const mod = (await import(pathToFileURL(api).href)) as { register: () => unknown };
      mod.register();
      tsxRegistered = true;
      return true;
    } catch {
      // not resolvable from here; try the next base
    }
  }
  return false;
}

/** Resolves a package subpath with the `import` condition (require.resolve would pick `require`). */
function resolveImport(base: string, pkg: string, subpath: string): string {
  const manifest = createRequire(base).resolve(`${pkg}/package.json`);
  const exports = JSON.parse(readFileSync(manifest, 'utf8')).exports as Record<string, unknown>;
  let target: unknown = exports[subpath];
  while (target && typeof target === 'object') {
    const t = target as Record<string, unknown>;
    target = t.import ?? t.node ?? t.default;
  }
  if (typeof target !== 'string') throw new Error(`${pkg} does not export ${subpath}`);
  return join(dirname(manifest), target);
}

/** Imports a module of the user's (task or setup module), TypeScript included. */
export async function importModule(url: string): Promise<Record<string, unknown>> {
  const typescript = /\.[cm]?tsx?$/.test(url);
  const native = Boolean((process.features as { typescript?: unknown }).typescript);
  if (typescript && !native) await registerTsx(url);
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    if (typescript && (err as { code?: string }).code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new Error(
        `${url} is TypeScript: run on Node >= 22.6 with type stripping, or install tsx (npm i -D tsx) so the worker can load it`,
        { cause: err },
      );
    }
    throw err;
  }
}

/** True for a function that can be called as a task: not a class (calling one throws a TypeError). */
function callable(value: unknown): value is TaskFn {
  if (typeof value !== 'function') return false;
  try {
    return !/^class[\s{]/.test(Function.prototype.toString.call(value));
  } catch {
    return true; // a Proxy around a function: calling it decides
  }
}

/**
 * Every exported function is a task; `default` names the default export.
 * A CommonJS module's `module.exports` object arrives as `default`, so its
 * function properties are tasks too. Exported classes are not tasks, nor are
 * names reserved for inline functions. A pool without a task module ('')
 * has no tasks of its own.
 */
export async function loadTasks(url: string): Promise<Map<string, TaskFn>> {
  const tasks = new Map<string, TaskFn>();
  if (url === '') return tasks;
  const ns = await importModule(url);
  for (const [name, value] of Object.entries(ns)) {
    if (callable(value) && !name.startsWith(INLINE_PREFIX)) tasks.set(name, value);
  }
  const def = ns.default;
  if (def && typeof def === 'object') {
    for (const [name, value] of Object.entries(def)) {
      if (callable(value) && !tasks.has(name) && !name.startsWith(INLINE_PREFIX)) tasks.set(name, value);
    }
  }
  return tasks;
}

/** What a worker has once it loaded: its tasks, and the teardown its setup function returned. */
export interface Loaded {
  tasks: Map<string, TaskFn>;
  teardown: Teardown | undefined;
}

/** Why a worker could not load: the error, and the setup module's URL when that one failed. */
export class LoadFailure {
  constructor(
    readonly error: unknown,
    readonly setup: string | undefined,
  ) {}
}

/**
 * Runs the setup module (when the pool has one), then imports the task
 * module. Rejects with a LoadFailure saying which of the two failed.
 */
export async function loadWorker(
  url: string,
  setup: string,
  context: { workerId: number; workerData: unknown },
): Promise<Loaded> {
  let teardown: Teardown | undefined;
  if (setup !== '') {
    try {
      teardown = await runSetup(await importModule(setup), context);
    } catch (error) {
      throw new LoadFailure(error, setup);
    }
  }
  try {
    return { tasks: await loadTasks(url), teardown };
  } catch (error) {
    throw new LoadFailure(error, undefined);
  }
}

/** A load failure as the LoadError message: the error, and the setup module's URL when that one failed. */
export function loadErrorMessage(err: unknown): LoadErrorMessage {
  return err instanceof LoadFailure
    ? [Kind.LoadError, toRemote(err.error), err.setup]
    : [Kind.LoadError, toRemote(err), undefined];
}
