// Inside a worker process: dies with the parent even while a task keeps the
// main thread busy. An idle worker notices its IPC channel closing and exits
// on its own; a busy one cannot run that handler, so a tiny thread polls the
// parent pid and, once the worker is orphaned, gives it `grace` ms to exit
// and then kills its process group. Started with the first task, not at
// start-up: a worker that never ran anything is never busy.
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
