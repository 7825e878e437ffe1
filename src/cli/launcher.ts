// A foreground command must not outlive whatever started it. Started through
// a launcher (`npx spindle start`, an npm script), a `kill -TERM` to the
// launcher's pid does not reach us: npm passes SIGTERM/SIGINT only to the
// `sh -c` it runs, and a shell that does not `exec` its last command (Debian's
// dash) dies of it while we are re-parented to init (or a subreaper); SIGHUP
// kills npm itself and leaves the shell and us running. So we remember, at
// start, our parent and, while it is a shell, the shell's own parent, and
// check every second: our parent changed, or a shell in that chain was
// re-parented or is gone, means the launcher died. The check reads
// /proc/PID/stat (Linux); elsewhere only our own parent is watched.
import { readFileSync } from 'node:fs';

const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ash', 'ksh', 'mksh', 'busybox', 'fish']);
const INTERVAL = 1000;

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
}

/** A process's name and parent from /proc, or undefined (gone, or no /proc). */
export function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name is in parentheses and may itself contain ') ': cut at the last one.
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { pid, comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/**
 * The processes to watch: our parent and, while the last one is a shell, its
 * parent (up to, not including, init). Each is recorded with its parent at start.
 */
export function launcherChain(parent = process.ppid, read = readProc): Proc[] {
  const chain: Proc[] = [];
  let p = read(parent);
  while (p && chain.length < 8) {
    chain.push(p);
    if (!SHELLS.has(p.comm) || p.ppid <= 1) break;
    p = read(p.ppid);
  }
  return chain;
}

/** What changed since `chain` was recorded, or undefined while the launcher is alive. */
export function launcherGone(parent: number, chain: Proc[], ppid = process.ppid, read = readProc): string | undefined {
  if (ppid !== parent) return `the process that started spindle (pid ${parent}) exited`;
  for (const p of chain) {
    if (!SHELLS.has(p.comm) || p.ppid <= 1) continue;
    const now = read(p.pid);
    if (now?.ppid !== p.ppid) return `the launcher (pid ${p.ppid}) that started spindle through '${p.comm}' exited`;
  }
  return undefined;
}

/**
 * Calls `gone(what)` once when the launcher that started this process dies.
 * Nothing is watched when the parent is init already (systemd, a container's
 * pid 1, a deliberate `setsid`/`nohup &` whose shell has exited). Returns a
 * function that stops watching.
 */
export function watchLauncher(gone: (what: string) => void): () => void {
  const parent = process.ppid;
  if (parent <= 1) return () => {};
  const chain = launcherChain(parent);
  const timer = setInterval(() => {
    const what = launcherGone(parent, chain);
    if (!what) return;
    clearInterval(timer);
    gone(what);
  }, INTERVAL);
  timer.unref();
  return () => clearInterval(timer);
}
