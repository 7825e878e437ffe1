// Child side of the thread runtime: the module every pool worker thread runs.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { type MessagePort, type TransferListItem, workerData } from 'node:worker_threads';
import { toWire } from '../codec.js';
import { loadTasks } from '../child/load.js';
import { Runner } from '../child/runner.js';
import { type ChildInit, Kind, type ParentMessage, tagOf } from '../protocol.js';
import { Claims } from './claims.js';

/** What the parent puts in the Worker's workerData. */
export interface ThreadBoot {
  init: ChildInit;
  port: MessagePort;
  claims: SharedArrayBuffer;
  slots: number;
  workerData: unknown;
}

const boot = workerData as ThreadBoot;
const { port, init } = boot;

// Task modules read their own workerData from node:worker_threads as usual,
// so replace ours with the user's in both the CJS and the ESM views.
const wt = createRequire(import.meta.url)('node:worker_threads') as { workerData: unknown };
wt.workerData = boot.workerData;
syncBuiltinESMExports();

const claims = new Claims(boot.claims, boot.slots);

try {
  const tasks = await loadTasks(init.url);
  const runner = new Runner(tasks, init, {
    post: (message, transfer) => port.postMessage(message, transfer as readonly TransferListItem[] | undefined),
    claim: (slot, id) => claims.claim(slot, tagOf(id)),
    abortedNow: (task) => claims.isAborted(task.slot, tagOf(task.id)),
    closed: () => port.close(),
  });
  port.on('message', (m: ParentMessage) => runner.dispatch(m));
  port.postMessage([Kind.Ready, [...tasks.keys()]]);
} catch (err) {
  port.postMessage([Kind.LoadError, toWire(err)]);
  process.exit(1);
}
