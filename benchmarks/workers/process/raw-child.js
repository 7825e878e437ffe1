// Raw child_process baseline: one IPC message per task, one reply per task.
import { busy, echo, factorial } from '../pool/tasks.js';

const fns = { echo, busy, factorial };
process.on('message', ([id, name, arg]) => process.send([id, fns[name](arg)]));
process.send('ready');
