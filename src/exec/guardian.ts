// runSync blocks the thread that called it, so that thread cannot run spindle's
// signal listeners: a Ctrl+C or a SIGTERM would end this process at once and
// leave the command (in its own process group) running. So runSync's helper thread
// keeps a small guardian process told of every live command over a pipe. When
// this process ends, however it ends (a signal, SIGKILL included, or a normal
// exit), the pipe reaches end-of-file and the guardian ends the commands still
// listed: `killSignal` to each group, SIGKILL after its `killGrace`. It is started
// once, with the first runSync, and is detached so that the terminal's Ctrl+C does
// not take it down before it has done its work.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Reapable, TrackObserver } from '../util/reaper.js';

// One line per change: "+pid tree signal graceMs" or "-pid".
const GUARDIAN = `
const live = new Map();
let rest = '';
let reaping = false;
const target = (r) => (r.tree ? -r.pid : r.pid);
const alive = (r) => { try { process.kill(target(r), 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const send = (r, s) => { try { process.kill(target(r), s); } catch {} };
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text) => {
  rest += text;
  for (let nl = rest.indexOf('\\n'); nl !== -1; nl = rest.indexOf('\\n')) {
    const line = rest.slice(0, nl);
    rest = rest.slice(nl + 1);
    const op = line[0];
    const [pid, tree, signal, grace] = line.slice(1).split(' ');
    if (op === '+') live.set(pid, { pid: Number(pid), tree: tree === '1', signal: /^\\d+$/.test(signal) ? Number(signal) : signal, grace: Number(grace) });
    else live.delete(pid);
  }
});
const reap = () => {
  if (reaping) return;
  reaping = true;
  const list = [...live.values()];
  const t0 = Date.now();
  for (const r of list) send(r, r.grace === 0 ? 'SIGKILL' : r.signal);
  const tick = () => {
    for (let i = list.length - 1; i >= 0; i--) {
      const r = list[i];
      if (!alive(r)) list.splice(i, 1);
      else if (Date.now() - t0 >= r.grace) { send(r, 'SIGKILL'); list.splice(i, 1); }
    }
    if (list.length === 0) process.exit(0);
    setTimeout(tick, 50);
  };
  tick();
};
process.stdin.on('end', reap);
process.stdin.on('close', reap);
process.stdin.on('error', reap);
`;

/**
 * Starts the guardian and returns a TrackObserver that keeps its list current. It
 * is started before any command: a command that starts first could outlive a
 * parent killed before the guardian exists.
 */
export function guardian(): TrackObserver {
  let child: ChildProcess | undefined;
  try {
    child = spawn(process.execPath, ['-e', GUARDIAN], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { PATH: process.env.PATH ?? '' },
      windowsHide: true,
    });
    child.on('error', () => {}); // best effort: runSync still works, as spawnSync would, without it
    child.stdin?.on('error', () => {});
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  } catch {
    child = undefined;
  }
  // A write to a pipe is attempted at once, so the line is in the guardian's pipe before spawn() returns to the caller.
  const write = (line: string) => {
    if (child?.stdin?.writable) child.stdin.write(line);
  };
  return {
    track(r: Reapable) {
      write(`+${r.pid} ${r.tree ? 1 : 0} ${r.killSignal} ${r.killGrace}\n`);
    },
    untrack(r: Reapable) {
      write(`-${r.pid}\n`);
    },
  };
}
