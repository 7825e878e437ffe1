// `spindle start --watch`: a rolling reload when a file changes. Node 20's
// `fs.watch(dir, { recursive: true })` on Linux walks the whole tree
// synchronously at start, watches node_modules too, has no ignore list and
// reports every existing file once, so this watches each directory itself
// with a plain (non-recursive) inotify watcher: the tree is walked once,
// asynchronously, skipping node_modules and .git; directories created later
// are added when they appear; events are debounced into one change.
import { type FSWatcher, type Stats, watch } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';

/** Directory names never entered. */
export const IGNORED_DIRECTORIES: readonly string[] = ['node_modules', '.git'];
/** Files of editors and tools that are not the code (swap, backup, lock files). */
const IGNORED_FILE = /(^\.#|~$|\.swp$|\.swx$|^4913$|^\.DS_Store$)/;
/** More directories than this are not watched (inotify watches are a per-user limit). */
export const MAX_DIRECTORIES = 4096;

export interface WatchOptions {
  /** Quiet time after the last event before `onChange` runs (ms). Default 300. */
  debounce?: number;
  /** Told about directories that could not be watched, and the limit. */
  warn?: (message: string) => void;
}

export interface Watcher {
  /** Resolves once every directory found at start is watched. */
  readonly ready: Promise<void>;
  /** Directories watched now. */
  readonly directories: number;
  close(): void;
}

function ignoredName(name: string): boolean {
  return IGNORED_DIRECTORIES.includes(name) || IGNORED_FILE.test(name);
}

/**
 * Watches `paths` (directories, walked; or single files) and calls
 * `onChange(files)` with the changed paths (relative to the first root's
 * directory) once the events have been quiet for `debounce` ms.
 */
export function watchPaths(paths: string[], onChange: (files: string[]) => void, options: WatchOptions = {}): Watcher {
  const debounce = options.debounce ?? 300;
  const warn = options.warn ?? (() => {});
  const watchers = new Map<string, FSWatcher>();
  /** Directories watched only for some files (a file given as a root): dir → names. */
  const only = new Map<string, Set<string>>();
  const base = paths[0] ? dirname(paths[0]) : process.cwd();
  let changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let warnedLimit = false;

  const fire = () => {
    timer = undefined;
    const files = [...changed];
    changed = new Set();
    if (!closed && files.length > 0) onChange(files);
  };

  const watchDir = (dir: string): boolean => {
    if (closed || watchers.has(dir)) return false;
    if (watchers.size >= MAX_DIRECTORIES) {
      if (!warnedLimit) warn(`watching the first ${MAX_DIRECTORIES} directories only; narrow it with --watch=PATH`);
      warnedLimit = true;
      return false;
    }
    let w: FSWatcher;
    try {
      w = watch(dir, { persistent: false }, (_event, name) => {
        const file = name ? String(name) : '';
        if (file && ignoredName(file)) return;
        const names = only.get(dir);
        if (names && !names.has(file)) return;
        const full = file ? join(dir, file) : dir;
        changed.add(relative(base, full) || full);
        clearTimeout(timer);
        timer = setTimeout(fire, debounce);
        // A new directory: watch it (and what is already in it) too.
        if (file && !names) void addTree(full, true);
      });
    } catch (err) {
      warn(`cannot watch ${dir}: ${(err as Error).message}`);
      return false;
    }
    w.on('error', () => {
      // The directory went away (or was replaced): forget it; its parent reports the change.
      w.close();
      if (watchers.get(dir) === w) watchers.delete(dir);
    });
    watchers.set(dir, w);
    return true;
  };

  async function addTree(dir: string, onlyNew: boolean): Promise<void> {
    let st: Stats;
    try {
      st = await stat(dir);
    } catch {
      return; // removed meanwhile
    }
    if (!st.isDirectory() || (onlyNew && watchers.has(dir))) return;
    if (!watchDir(dir)) return;
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    await Promise.all(
      entries.filter((e) => e.isDirectory() && !ignoredName(e.name)).map((e) => addTree(join(dir, e.name), false)),
    );
  }

  async function addRoots(): Promise<void> {
    const found = await Promise.all(
      paths.map(async (path) => {
        try {
          return { path, dir: (await stat(path)).isDirectory() };
        } catch (err) {
          warn(`cannot watch ${path}: ${(err as Error).message}`);
          return undefined;
        }
      }),
    );
    // Directories first: a file inside one of them is then covered already.
    await Promise.all(found.filter((f) => f?.dir).map((f) => addTree(f!.path, false)));
    for (const f of found) {
      if (!f || f.dir) continue;
      // A file: watch its directory for that name (editors replace files by renaming, which ends a file's own watch).
      const dir = dirname(f.path);
      const names = only.get(dir);
      if (names) names.add(basename(f.path));
      else if (!watchers.has(dir)) {
        only.set(dir, new Set([basename(f.path)]));
        watchDir(dir);
      }
    }
  }

  const ready = addRoots();
  return {
    ready,
    get directories() {
      return watchers.size;
    },
    close() {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
