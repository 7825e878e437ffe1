// Children die with the parent (spindle/exec commands and process-pool workers).
// Every live child is its own process-group leader (so a timeout can kill its
// grandchildren), which also means a terminal's Ctrl+C or a supervisor's SIGTERM
// to us no longer reaches it. So while children run we
// listen for SIGINT/SIGTERM/SIGHUP and 'exit': we signal every live group, then,
// for a signal, re-raise it so this process dies exactly as it would have. When
// the application has its own listener for that signal it decides: we neither
// kill nor exit (its eventual process.exit() still runs our 'exit' hook).
// Children that may ignore the kill signal get a small detached watchdog that
// sends SIGKILL after their killGrace, because we cannot wait once we are dying;
// children that watch for their parent's death themselves (pool workers) need none.
import { spawn } from 'node:child_process';
import { isSigkill, sendSignal } from './kill.js';

/** A running child (or a group still being killed) to take down with us. */
export interface Reapable {
  pid: number;
  tree: boolean;
  killSignal: NodeJS.Signals | number;
  killGrace: number;
  /** the child kills itself once it finds itself orphaned: no watchdog needed */
  watchesParent?: boolean;
}

const live = new Set<Reapable>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const handlers = new Map<NodeJS.Signals, () => void>();
let installed = false;

/**
 * Listeners of the `signal-exit` package (v3 and v4 publish how many they installed).
 * Like us, it re-raises only when it is alone, so we count its listeners as not the
 * application's, as it does for its own other version; else neither would re-raise.
 */
function signalExitListeners(): number {
  let n = 0;
  const v4 = (globalThis as Record<symbol, { count?: unknown } | undefined>)[Symbol.for('signal-exit emitter')];
  if (typeof v4?.count === 'number') n += v4.count;
  const v3 = (process as { __signal_exit_emitter__?: { count?: unknown } }).__signal_exit_emitter__;
  if (typeof v3?.count === 'number') n += v3.count;
  return n;
}

function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) - 1 - signalExitListeners() > 0) return; // the application handles it
  reapAll();
  uninstall();
  // Default action again: die by this signal (or, if signal-exit still listens, it
  // sees itself alone now and re-raises in turn).
  process.kill(process.pid, signal);
}

function onExit(): void {
  reapAll();
}

/** Signals every live group now; a watchdog finishes the ones that may outlive SIGTERM. */
export function reapAll(): void {
  const slow: Reapable[] = [];
  for (const r of live) {
    const signal = r.killGrace === 0 ? 'SIGKILL' : r.killSignal;
    if (sendSignal(r.pid, r.tree, signal) && !isSigkill(signal) && !r.watchesParent) slow.push(r);
  }
  live.clear();
  if (slow.length > 0) startWatchdog(slow);
}

// Runs in a detached node: polls the groups and SIGKILLs what is left at each deadline.
const WATCHDOG = `
const list = JSON.parse(process.argv[1]);
const t0 = Date.now();
const target = (r) => (r.tree ? -r.pid : r.pid);
const alive = (r) => { try { process.kill(target(r), 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const tick = () => {
  for (let i = list.length - 1; i >= 0; i--) {
    const r = list[i];
    if (!alive(r)) list.splice(i, 1);
    else if (Date.now() - t0 >= r.killGrace) { try { process.kill(target(r), 'SIGKILL'); } catch {} list.splice(i, 1); }
  }
  if (list.length === 0) process.exit(0);
  setTimeout(tick, 50);
};
tick();
`;

function startWatchdog(list: Reapable[]): void {
  try {
    const payload = JSON.stringify(list.map((r) => ({ pid: r.pid, tree: r.tree, killGrace: r.killGrace })));
    const dog = spawn(process.execPath, ['-e', WATCHDOG, payload], {
      detached: true,
      stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '' },
      windowsHide: true,
    });
    dog.on('error', () => {});
    dog.unref();
  } catch {
    // Best effort: we are exiting and the kill signal has been sent already.
  }
}

function install(): void {
  installed = true;
  process.on('exit', onExit);
  for (const s of SIGNALS) {
    const h = () => onSignal(s);
    handlers.set(s, h);
    try {
      process.on(s, h);
    } catch {
      handlers.delete(s); // a platform without this signal
    }
  }
}

function uninstall(): void {
  installed = false;
  process.off('exit', onExit);
  for (const [s, h] of handlers) process.off(s, h);
  handlers.clear();
}

/** Told of every child tracked and untracked (runSync's helper thread: its guardian process, src/exec/guardian.ts). */
export interface TrackObserver {
  track(r: Reapable): void;
  untrack(r: Reapable): void;
}
let observer: TrackObserver | undefined;

/** Sets (or clears) the one observer of tracking in this thread. */
export function observeTracking(o: TrackObserver | undefined): void {
  observer = o;
}

/** Starts watching for our own death on behalf of `r`. */
export function track(r: Reapable): void {
  observer?.track(r);
  if (idle) {
    clearImmediate(idle);
    idle = undefined;
  }
  if (!installed) install();
  live.add(r);
}

let idle: NodeJS.Immediate | undefined;

/**
 * `r` has exited (and its group is gone): stop watching when nothing else runs. The
 * listeners go at the end of this loop turn, not at once, so back-to-back commands do
 * not add and remove four listeners each; a signal in between still re-raises as usual.
 */
export function untrack(r: Reapable): void {
  if (!live.delete(r)) return;
  observer?.untrack(r);
  if (live.size > 0 || idle) return;
  idle = setImmediate(() => {
    idle = undefined;
    if (live.size === 0 && installed) uninstall();
  });
  idle.unref();
}
