// Signals to a child or to its whole process group (POSIX: the child is the group leader).

/** Sends `signal` to the group led by `pid` (or to `pid` alone); false when nothing was there. */
export function sendSignal(pid: number, tree: boolean, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(tree ? -pid : pid, signal);
    return true;
  } catch {
    return false; // ESRCH: already gone; EPERM: not ours any more
  }
}

/** Whether any process (zombies included) is left in the group led by `pid`. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function isSigkill(signal: NodeJS.Signals | number): boolean {
  return signal === 'SIGKILL' || signal === 9;
}
