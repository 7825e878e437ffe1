// Loads the user's task module inside a worker and lists its tasks.
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type TaskFn = (...args: unknown[]) => unknown;

let tsxRegistered = false;

/**
 * Node 20 cannot import .ts files; Node >= 22.6 can strip types itself. So try
 * the plain import first and, only if the extension is refused, register tsx's
 * loader (resolved from the task module's folder, then the working directory)
 * and try again.
 */
async function registerTsx(url: string): Promise<boolean> {
  if (tsxRegistered) return true;
  const bases = [fileURLToPath(url), `${process.cwd()}/noop.js`];
  for (const base of bases) {
    try {
      const api = createRequire(base).resolve('tsx/esm/api');
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

async function importModule(url: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[cm]?tsx?$/.test(url)) {
      if (await registerTsx(url)) return (await import(url)) as Record<string, unknown>;
      throw new Error(
        `${url} is TypeScript: run on Node >= 22.6 with type stripping, or install tsx (npm i -D tsx) so the worker can load it`,
        { cause: err },
      );
    }
    throw err;
  }
}

/**
 * Every exported function is a task; `default` names the default export.
 * A CommonJS module's `module.exports` object arrives as `default`, so its
 * function properties are tasks too.
 */
export async function loadTasks(url: string): Promise<Map<string, TaskFn>> {
  const ns = await importModule(url);
  const tasks = new Map<string, TaskFn>();
  for (const [name, value] of Object.entries(ns)) {
    if (typeof value === 'function') tasks.set(name, value as TaskFn);
  }
  const def = ns.default;
  if (def && typeof def === 'object') {
    for (const [name, value] of Object.entries(def)) {
      if (typeof value === 'function' && !tasks.has(name)) tasks.set(name, value as TaskFn);
    }
  }
  return tasks;
}
