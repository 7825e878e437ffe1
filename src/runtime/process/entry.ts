// Child side of the process runtime: the program every pool worker process runs.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { toRemote } from '../../errors/remote.js';
import { type ChildInit, Kind, type ParentMessage, PROCESS_BOOT_ENV } from '../protocol.js';
import { setWorkerId } from '../runner/context.js';
import { type Loaded, loadErrorMessage, loadWorker } from '../runner/load.js';
import { Runner } from '../runner/runner.js';
import { runTeardown, type Teardown } from '../runner/setup.js';
import { leaveWithGroup, watchParent } from './watchdog.js';
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
setWorkerId(boot.init.workerId);

/**
 * Run back to back, tasks keep the event loop from reading messages; after
 * this long without a turn of the loop, the runner lets it read (an abort for
 * a task waiting here must arrive before that task starts).
 */
const TURN_MS = 1;

let runner: Runner | undefined;
/** the pool's workerData for this worker (the Init message), for the setup function */
let workerData: unknown;
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
    workerData = m[1];
    setWorkerData(m[1]);
    void start();
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

/** The loop ran dry while the module loaded: its top-level await can never settle. */
function unsettled(): void {
  process.channel?.ref();
  const err = new Error('its top-level await never settles: nothing left in the worker could settle it');
  process.send!(encode([Kind.LoadError, toRemote(err)]), undefined, undefined, () => process.exit(1));
}

async function start(): Promise<void> {
  try {
    // While the module loads, the channel does not keep this process alive:
    // when top-level code awaits something that nothing left can settle, the
    // loop runs dry and the load fails at once, as it does in a worker thread,
    // instead of leaving the pool waiting. The pool's loadTimeout covers the
    // rest (an await held open by a timer or a socket).
    process.channel?.unref();
    process.once('beforeExit', unsettled);
    let loaded: Loaded;
    try {
      loaded = await loadWorker(boot.init.url, boot.init.setup, { workerId: boot.init.workerId, workerData });
    } finally {
      process.off('beforeExit', unsettled);
      process.channel?.ref();
    }
    const { tasks, teardown } = loaded;
    runner = new Runner(tasks, boot.init, {
      post,
      claim: () => true,
      abortedNow: () => false,
      closed: () => void stop(teardown),
      canStart,
    });
    process.send!(encode([Kind.Ready, [...tasks.keys()], teardown !== undefined]));
    for (const m of early.splice(0)) dispatch(m);
  } catch (err) {
    process.send!(encode(loadErrorMessage(err)), undefined, undefined, () => process.exit(1));
  }
}

/** Asked to stop and idle: the setup's teardown runs (its failure is reported), then the process exits once its messages are out. */
async function stop(teardown: Teardown | undefined): Promise<void> {
  const failed = await runTeardown(teardown);
  if (failed) post([Kind.TeardownError, toRemote(failed.error)]);
  closing = true;
  if (unflushed === 0) process.exit(0);
}

process.on('uncaughtException', onUncaught);
// The parent is gone (it never disconnects a live worker): nobody is waiting
// for results, and what this worker started must not outlive it either.
process.on('disconnect', () => leaveWithGroup(boot.killGrace));
process.on('message', onMessage);
if (!boot.workerData) void start();
