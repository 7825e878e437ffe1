// Where a worker's app servers listen before (and besides) taking traffic:
// Unix sockets in one private directory per primary process (mode 0700), not
// loopback TCP ports. A loopback port can be reached by every local user, who
// could then talk to a worker that is not ready yet or, in sticky mode, pick a
// worker and bypass the routing; a socket in a 0700 directory only by this
// user, who owns the processes anyway (docs/security.md).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchdogDirectory } from './watchdog.js';

/** Room left for `<pid>-<n>.sock` under the 108-byte limit of a socket path. */
const MAX_DIR = 80;

let dir: string | undefined;

/** The private socket directory of this process, created on first use and removed at exit. */
export function socketDirectory(): string {
  if (dir) return dir;
  const base = tmpdir().length <= MAX_DIR - 16 ? tmpdir() : '/tmp';
  dir = mkdtempSync(join(base, 'spindle-')); // mode 0700
  const created = dir;
  process.once('exit', () => rmSync(created, { recursive: true, force: true }));
  watchdogDirectory(created);
  return created;
}

/** Removes the sockets a worker left behind (it was killed before its servers closed). */
export function removeSockets(pid: number): void {
  if (!dir) return;
  try {
    for (const name of readdirSync(dir)) if (name.startsWith(`${pid}-`)) rmSync(join(dir, name), { force: true });
  } catch {
    // the directory is gone already (process exit)
  }
}
