// `input: { file }` and `stdout`/`stderr: { file }`: the program reads or writes
// the file itself. The file is opened here and its descriptor given to the child,
// so no byte passes through this process; ours is closed once the child has its
// copy. `stdout` and `stderr` naming the same file share one descriptor, as
// `> log 2>&1` does, so neither overwrites the other.
import { closeSync, openSync } from 'node:fs';

/** A file connected to one stdio slot: read (stdin), written (truncated) or appended to. */
export interface FileSlot {
  /** the option it came from, for messages: 'input', 'stdout', 'stderr', 'stdio[1]' */
  option: string;
  path: string;
  flags: 'r' | 'w' | 'a';
}

/** Why a file could not be opened: the program was not started. */
export interface FileFailure {
  slot: FileSlot;
  error: NodeJS.ErrnoException;
}

/**
 * Opens the slots' files; returns their descriptors by slot index (undefined where
 * no file), or the first failure (with every descriptor opened so far closed).
 */
export function openFiles(
  slots: readonly (FileSlot | undefined)[],
): { fds: (number | undefined)[]; failure?: undefined } | { fds?: undefined; failure: FileFailure } {
  const fds: (number | undefined)[] = [];
  const byPath = new Map<string, number>();
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i];
    if (!slot) {
      fds.push(undefined);
      continue;
    }
    const key = `${slot.flags === 'r' ? 'r' : 'w'}:${slot.path}`;
    const shared = byPath.get(key);
    if (shared !== undefined) {
      fds.push(shared);
      continue;
    }
    try {
      const fd = openSync(slot.path, slot.flags, 0o666);
      byPath.set(key, fd);
      fds.push(fd);
    } catch (e) {
      closeFiles(fds);
      return { failure: { slot, error: e as NodeJS.ErrnoException } };
    }
  }
  return { fds };
}

/** Closes our copies (the child keeps its own). */
export function closeFiles(fds: readonly (number | undefined)[]): void {
  for (const fd of new Set(fds)) {
    if (fd === undefined) continue;
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}
