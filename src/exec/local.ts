// `preferLocal`: programs installed in node_modules/.bin (the project's own tsc,
// eslint, vitest) come before PATH, searched from a directory up to the root, as
// npm scripts do. Off by default: a checked-out repository could otherwise put its
// own `git` in front of yours (docs/security.md).
import { statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/** The `node_modules/.bin` directories from `from` up to the root that exist, nearest first, then Node's own directory. */
export function localBins(from: string): string[] {
  const dirs: string[] = [];
  for (let dir = from, up = dirname(dir); ; dir = up, up = dirname(dir)) {
    const bin = join(dir, 'node_modules', '.bin');
    if (isDirectory(bin)) dirs.push(bin);
    if (up === dir) break;
  }
  // `node` and `npm` resolve to the ones running this process, as in npm scripts.
  dirs.push(dirname(process.execPath));
  return dirs;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    return false; // EACCES, ENOTDIR: not one we can use
  }
}

/** The PATH variable's name in `env` (Windows spells it any case). */
function pathKey(env: NodeJS.ProcessEnv): string {
  if (process.platform !== 'win32') return 'PATH';
  return Object.keys(env).find((k) => k.toUpperCase() === 'PATH') ?? 'Path';
}

/** `env` with `dirs` in front of its PATH (a new object; `env` is not changed). */
export function prependPath(env: NodeJS.ProcessEnv, dirs: readonly string[]): NodeJS.ProcessEnv {
  const key = pathKey(env);
  const current = env[key];
  return { ...env, [key]: current ? [...dirs, current].join(delimiter) : dirs.join(delimiter) };
}
