// How a worker process is started: the app's script stays the real entry
// (process.argv[1], require.main for CJS), spindle's runtime comes first via
// `--import`, and TypeScript entries get tsx's loader in the worker itself
// (workers are separate processes: a loader registered in the primary does not
// reach them).
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ClusterScriptNotFoundError, ClusterTsLoaderError } from '../errors/index.js';
import { toPath } from '../util/paths.js';
import { typescriptSource } from '../util/ts-source.js';

const TS = new Set(['.ts', '.mts', '.cts', '.tsx']);

/** URL of the runtime preloaded in every worker. */
export const PRELOAD = new URL('./app/preload.js', import.meta.url).href;

/**
 * Absolute path of the script (a path relative to `cwd`, or a file URL),
 * checked to exist; `app.js` names `app.ts` when only that exists (util/ts-source.ts).
 */
export function resolveScript(script: unknown, cwd: string): string {
  const path = typescriptSource(toPath('script', script, cwd));
  if (!existsSync(path) || !statSync(path).isFile()) throw new ClusterScriptNotFoundError(path);
  return path;
}

function hasTsLoader(execArgv: readonly string[]): boolean {
  return execArgv.some((a) => /(^|[/\\=@])tsx([/\\]|$|\/esm|\/cjs)|tsx\/dist\/|\bts-node\b/.test(a));
}

function findTsx(script: string, cwd: string): string | undefined {
  for (const from of [join(dirname(script), 'noop.js'), join(cwd, 'noop.js')]) {
    try {
      return pathToFileURL(createRequire(from).resolve('tsx')).href;
    } catch {
      // not installed there
    }
  }
  return undefined;
}

/** The execArgv of a worker: the primary's, the user's extras, tsx when needed, then spindle's runtime. */
export function workerExecArgv(
  script: string,
  cwd: string,
  extra: readonly string[],
  inherited = process.execArgv,
): string[] {
  const argv = [...inherited, ...extra];
  if (TS.has(extname(script)) && !hasTsLoader(argv)) {
    const tsx = findTsx(script, cwd);
    if (!tsx) throw new ClusterTsLoaderError(script);
    argv.push('--import', tsx);
  }
  argv.push('--import', PRELOAD);
  return argv;
}
