// A `.js` path that names a TypeScript source, the way TypeScript resolves it.
//
// TypeScript code imports its siblings by the name they will have once
// compiled: `new URL('./tasks.js', import.meta.url)` in `src/main.ts` means
// `src/tasks.ts` until a build writes `tasks.js`. Loaders such as tsx map the
// specifier; a path handed to spindle as an option gets no such help, so the
// pool (`worker`) and the cluster (`script`) apply the same rule: when the file
// named does not exist, its TypeScript counterpart is used if that one does.
import { statSync } from 'node:fs';

/** TypeScript's mapping of an emitted extension to the source extensions it may come from, in its order. */
const SOURCES: Record<string, readonly string[]> = {
  '.js': ['.ts', '.tsx'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
};

function isFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    return false; // ENOTDIR, ENAMETOOLONG, EACCES
  }
}

/**
 * `path` when it is a file; else, for a `.js`/`.jsx`/`.mjs`/`.cjs` path, the
 * `.ts`/`.tsx`/`.mts`/`.cts` file next to it when one exists; else `path`
 * unchanged (the caller reports it missing).
 */
export function typescriptSource(path: string): string {
  if (isFile(path)) return path;
  const dot = path.lastIndexOf('.');
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  if (dot <= slash) return path;
  const sources = SOURCES[path.slice(dot)];
  if (sources === undefined) return path;
  for (const ext of sources) {
    const candidate = path.slice(0, dot) + ext;
    if (isFile(candidate)) return candidate;
  }
  return path;
}
