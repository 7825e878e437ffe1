// Raw worker_threads baseline: one message per task, one reply per task.
import { parentPort } from 'node:worker_threads';
import { busy, echo, factorial } from './tasks.js';

const fns = { echo, busy, factorial };
parentPort.on('message', ([id, name, arg]) => parentPort.postMessage([id, fns[name](arg)]));
