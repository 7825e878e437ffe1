// Inside a worker process: dies with the parent even while a task keeps the
// main thread busy. An idle worker notices its IPC channel closing and exits
// on its own; a busy one cannot run that handler, so a tiny thread polls the
// parent pid and, once the worker is orphaned, gives it `grace` ms to exit
// and then kills its process group. Started with the first task, not at
// start-up: a worker that never ran anything is never busy.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const POLL_MS = 250;

const CODE = `
const { ppid, pid, grace, poll } = require('node:worker_threads').workerData;
const timer = setInterval(() => {
  if (process.ppid === ppid) return;
  clearInterval(timer);
  setTimeout(() => {
    try { process.kill(-pid, 'SIGKILL'); } catch {}
    try { process.kill(pid, 'SIGKILL'); } catch {}
  }, grace);
}, poll);
`;

let started = false;

/** Starts the orphan watchdog of this worker process (once). */
export function watchParent(grace: number): void {
  if (started) return;
  started = true;
  // loaded here, not at start-up: the worker is ready a little sooner
  const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
  const w = new Worker(CODE, {
    eval: true,
    workerData: { ppid: process.ppid, pid: process.pid, grace, poll: POLL_MS },
    // none of the worker's flags (--import loaders, heap limits) are needed here
    execArgv: [],
    env: {},
    stdout: false,
    stderr: false,
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
  });
  w.unref();
  w.on('error', () => {}); // best effort: the IPC channel still covers an idle worker
}

/**
 * Other live processes in the process group this worker leads, on Linux
 * (/proc); undefined where that cannot be told.
 */
function othersInGroup(): boolean | undefined {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const self = process.pid;
  for (const name of names) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === self) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // after the command name in parentheses: state, ppid, pgrp, ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === self && fields[0] !== 'Z') return true;
  }
  return false;
}

/**
 * The parent is gone while this worker was idle (its channel closed): the
 * worker leaves, and takes its process group with it — whatever its tasks
 * started (a `sleep 1000`, a server) would otherwise live on, re-parented to
 * init. The group gets SIGTERM (this process ignores it meanwhile), then, if
 * anything in it is still alive `grace` ms later, SIGKILL; the worker exits
 * as soon as its group is empty.
 */
export function leaveWithGroup(grace: number): void {
  const pid = process.pid;
  process.on('SIGTERM', () => {}); // our own group signal must not cut this short
  try {
    process.kill(-pid, grace === 0 ? 'SIGKILL' : 'SIGTERM');
  } catch {
    // nothing to signal
  }
  const deadline = performance.now() + grace;
  const check = (): void => {
    const others = othersInGroup();
    if (others === false) process.exit(0);
    if (performance.now() >= deadline) {
      try {
        process.kill(-pid, 'SIGKILL'); // this process included: the parent that would care is gone
      } catch {
        process.exit(0);
      }
    }
    setTimeout(check, 20);
  };
  check();
}
