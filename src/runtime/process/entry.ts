// Child side of the process runtime: the program every pool worker process runs.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { toRemote } from '../../errors/remote.js';
import { type ChildInit, Kind, type ParentMessage, PROCESS_BOOT_ENV } from '../protocol.js';
import { loadTasks } from '../runner/load.js';
import { Runner } from '../runner/runner.js';
import { watchParent } from './watchdog.js';
import { decode, encode } from './wire.js';

/** What the parent passes in the environment (see handle.ts). */
export interface ProcessBoot {
  init: ChildInit;
  /** the first message will be [Init, workerData] */
  workerData: boolean;
  killGrace: number;
}

const boot = JSON.parse(process.env[PROCESS_BOOT_ENV]!) as ProcessBoot;
delete process.env[PROCESS_BOOT_ENV]; // not for the task module, nor for its children

/**
 * Run back to back, tasks keep the event loop from reading messages; after
 * this long without a turn of the loop, the runner lets it read (an abort for
 * a task waiting here must arrive before that task starts).
 */
const TURN_MS = 1;

let runner: Runner | undefined;
const early: ParentMessage[] = [];
/** results handed to process.send() whose write has not completed */
let unflushed = 0;
let waitFlush = false;
let waitTurn = false;
let turn = performance.now();
let dying = false;
let closing = false;

const written = (): void => {
  unflushed--;
  if (unflushed > 0) return;
  if (closing) process.exit(0);
  if (waitFlush) {
    waitFlush = false;
    runner?.resume();
  }
};

const nextTurn = (): void => {
  waitTurn = false;
  turn = performance.now();
  runner?.resume();
};

/**
 * A result is handed to the kernel before the next task may start: the
 * runner holds until process.send() reports the write done (at once, unless
 * the channel is full). A task that then kills this process cannot take an
 * earlier result with it, so the pool never re-runs a finished task.
 */
function post(message: unknown[]): void {
  process.send!(encode(message), undefined, undefined, written);
  unflushed++;
}

function canStart(): boolean {
  if (dying) return false;
  if (unflushed > 0) {
    waitFlush = true;
    return false;
  }
  if (waitTurn) return false;
  if (performance.now() - turn > TURN_MS) {
    waitTurn = true;
    setImmediate(nextTurn);
    return false;
  }
  return true;
}

function onMessage(wire: unknown): void {
  turn = performance.now();
  const m = decode(wire) as ParentMessage;
  if (runner) dispatch(m);
  else if (m[0] === Kind.Init) {
    setWorkerData(m[1]);
    start();
  } else {
    early.push(m);
  }
}

function dispatch(m: ParentMessage): void {
  if (m[0] === Kind.Tasks) watchParent(boot.killGrace);
  runner!.dispatch(m);
}

/** Task modules read workerData from node:worker_threads, as in a thread. */
function setWorkerData(data: unknown): void {
  const wt = createRequire(import.meta.url)('node:worker_threads') as { workerData: unknown };
  wt.workerData = data;
  syncBuiltinESMExports();
}

/**
 * An uncaught error ends this worker as it would end any Node process, but
 * the pool hears the error first (it becomes the crash error's cause). When
 * the task module listens for uncaught errors itself, it decides.
 */
function onUncaught(err: unknown): void {
  if (process.listenerCount('uncaughtException') > 1 || dying) return;
  dying = true;
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  const die = () => process.exit(1);
  setTimeout(die, 1000);
  try {
    process.send!(encode([Kind.Fatal, toRemote(err)]), undefined, undefined, die);
  } catch {
    die();
  }
}

async function start(): Promise<void> {
  try {
    const tasks = await loadTasks(boot.init.url);
    runner = new Runner(tasks, boot.init, {
      post,
      claim: () => true,
      abortedNow: () => false,
      closed: () => {
        closing = true;
        if (unflushed === 0) process.exit(0);
      },
      canStart,
    });
    process.send!(encode([Kind.Ready, [...tasks.keys()]]));
    for (const m of early.splice(0)) dispatch(m);
  } catch (err) {
    process.send!(encode([Kind.LoadError, toRemote(err)]), undefined, undefined, () => process.exit(1));
  }
}

process.on('uncaughtException', onUncaught);
// The parent is gone (or let go of us): nobody is waiting for results.
process.on('disconnect', () => process.exit(0));
process.on('message', onMessage);
if (!boot.workerData) void start();
