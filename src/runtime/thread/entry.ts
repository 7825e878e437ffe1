// Child side of the thread runtime: the module every pool worker thread runs.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { type MessagePort, receiveMessageOnPort, type TransferListItem, workerData } from 'node:worker_threads';
import { toRemote } from '../../errors/remote.js';
import { installBlockingCounters } from '../../shared/blocking.js';
import { hasShared, sharedTag } from '../../shared/handle.js';
import { type ChildInit, Kind, type ParentMessage, TASK_FIELDS, tagOf } from '../protocol.js';
import { setWorkerId } from '../runner/context.js';
import { loadErrorMessage, loadWorker } from '../runner/load.js';
import { Runner } from '../runner/runner.js';
import { runTeardown } from '../runner/setup.js';
import { Claims } from './claims.js';
import { ResultRing } from './results.js';
import { ByteRing, type RingRecord } from './ring.js';

/** What the parent puts in the Worker's workerData. */
export interface ThreadBoot {
  init: ChildInit;
  port: MessagePort;
  claims: SharedArrayBuffer;
  results: SharedArrayBuffer;
  /** shared path (ring.ts): tasks from the pool, and results that are not primitives back */
  tasks: SharedArrayBuffer | undefined;
  records: SharedArrayBuffer | undefined;
  /** counters of tasks blocked on spindle/shared primitives (shared/blocking.ts), read by the pool */
  blocking: SharedArrayBuffer;
  slots: number;
  workerData: unknown;
}

const boot = workerData as ThreadBoot;
const { port, init } = boot;
// A message from the pool that does not deserialize here is lost: its tasks
// would never start (nor their timeouts), and on the shared path every later
// task would wait for its sequence number. End the worker instead: the claim
// words show which tasks it had not started, and the pool runs them
// elsewhere (a message that fails every time ends each new worker before
// it delivers anything, and the pool stops after a few: BARREN_EXITS_LIMIT).
port.on('messageerror', () => process.exit(1));
setWorkerId(init.workerId);
installBlockingCounters(new Int32Array(boot.blocking));

// spindle/shared primitives lose their class in a structured clone; revive
// them in the user's workerData (anywhere) and in task arguments (top level).
// The reviver is only imported once a tagged value shows up.
type Revive = typeof import('../../shared/revive.js').reviveShared;
let revive: Revive | undefined;
async function loadRevive(): Promise<Revive> {
  revive ??= (await import('../../shared/revive.js')).reviveShared;
  return revive;
}
if (hasShared(boot.workerData, true)) boot.workerData = (await loadRevive())(boot.workerData, { deep: true });

/** Visits each task's arguments of a Tasks message ([Tasks, slot, id, name, args, ...]). */
function hasTaggedArgs(m: ParentMessage): boolean {
  if (m[0] !== Kind.Tasks) return false;
  for (let i = 4; i < m.length; i += TASK_FIELDS) {
    const args = m[i] as unknown[];
    for (let j = 0; j < args.length; j++) if (sharedTag(args[j]) !== undefined) return true;
  }
  return false;
}

function reviveArgs(m: ParentMessage): void {
  for (let i = 4; i < m.length; i += TASK_FIELDS) {
    const args = m[i] as unknown[];
    for (let j = 0; j < args.length; j++) if (sharedTag(args[j]) !== undefined) args[j] = revive!(args[j]);
  }
}

// Task modules read their own workerData from node:worker_threads as usual,
// so replace ours with the user's in both the CJS and the ESM views.
const wt = createRequire(import.meta.url)('node:worker_threads') as { workerData: unknown };
wt.workerData = boot.workerData;
syncBuiltinESMExports();

const claims = new Claims(boot.claims, boot.slots);
const SPIN_MS = 0.3;
// Spinning saves a thread wake-up (tens of µs): worth it after tiny tasks, not
// after long ones, where it would only take a core from a sibling that is
// working (2 busy workers and the pool's thread on 2 cores).
const SPIN_AFTER_MS = 0.5;
const results = new ResultRing(boot.results);
const bell = (): void => port.postMessage([Kind.Bell]);
const taskRing = boot.tasks === undefined ? undefined : new ByteRing(boot.tasks);
const records = boot.records === undefined ? undefined : new ByteRing(boot.records);
const postRecord =
  records === undefined
    ? undefined
    : (slot: number, id: number, ok: boolean, value: unknown, runMs: number): boolean => {
        // The first result after the pool last read goes by message, which
        // wakes it as a Bell would; those that follow before it reads go in
        // the ring with no message at all (ring.ts, WAKING).
        if (results.claimBell()) return false;
        if (!records.write(slot, ok ? 1 : 0, id, runMs, value)) return false;
        records.publish();
        results.ring(bell);
        return true;
      };

try {
  const { tasks, teardown } = await loadWorker(init.url, init.setup, {
    workerId: init.workerId,
    workerData: boot.workerData,
  });
  const runner = new Runner(tasks, init, {
    post: (message, transfer) => port.postMessage(message, transfer as readonly TransferListItem[] | undefined),
    claim: (slot, id) => claims.claim(slot, tagOf(id)),
    abortedNow: (task) => claims.isAborted(task.slot, tagOf(task.id)),
    // Asked to stop (only a worker with a teardown is asked: the others are
    // terminated): the teardown runs once the running tasks are done, then
    // the thread ends, whatever it left open.
    closed: () => {
      if (teardown === undefined) {
        port.close();
        return;
      }
      void runTeardown(teardown).then((failed) => {
        if (failed) port.postMessage([Kind.TeardownError, toRemote(failed.error)]);
        process.exit(0);
      });
    },
    postValue: (slot, id, value, runMs) => results.write(slot, tagOf(id), value, runMs, bell),
    postRecord,
  });
  const held: ParentMessage[] = []; // arrived while the reviver loads; order is kept
  const dispatch = (m: ParentMessage): void => {
    if (revive && m[0] === Kind.Tasks) reviveArgs(m);
    runner.dispatch(m);
  };
  /** Every message for the runner goes through here, in order. */
  const deliver = (m: ParentMessage): void => {
    if (held.length === 0 && (revive || !hasTaggedArgs(m))) {
      dispatch(m);
      return;
    }
    held.push(m);
    if (held.length > 1) return;
    loadRevive().then(
      () => {
        for (const h of held) dispatch(h);
        held.length = 0;
      },
      (err) => {
        port.postMessage([Kind.LoadError, toRemote(err), undefined]);
        process.exit(1);
      },
    );
  };

  // The shared path (ring.ts): tasks come from the task ring and, those the
  // ring cannot carry, as TasksAt messages; both carry sequence numbers and
  // the runner gets them strictly in that order.
  let nextSeq = 0;
  const portTasks: ParentMessage[] = []; // TasksAt messages not yet due
  const record: RingRecord = { a: 0, b: 0, x: 0, y: 0, value: undefined };
  /** Hands the runner every task that is due; true when it took any message. */
  const intake = (ring: ByteRing): boolean => {
    let took = false;
    for (;;) {
      const m = portTasks[0];
      if (m !== undefined && m[1] === nextSeq) {
        portTasks.shift();
        // [TasksAt, seq, ...TASK_FIELDS per task, (metas)]: as many tasks as whole groups
        nextSeq = (nextSeq + Math.floor((m.length - 2) / TASK_FIELDS)) | 0;
        (m as unknown[]).splice(0, 2, Kind.Tasks);
        deliver(m);
        took = true;
        continue;
      }
      const seq = ring.peekA();
      if (seq === undefined) return took;
      if (seq !== nextSeq) {
        // Tasks before it came by port, posted before this record was
        // published: they are in the port's queue (or portTasks) already.
        const r = receiveMessageOnPort(port);
        if (r === undefined) return took; // not there (cannot happen): its 'message' event resumes
        took = true;
        route(r.message as ParentMessage);
        continue;
      }
      // A record holds [name, args] or [name, args, meta]; the metas go at the
      // end of the Tasks message, one per task, only when a task has one.
      const tasks: unknown[] = [Kind.Tasks];
      let metas: unknown[] | undefined;
      let n = 0;
      while (ring.peekA() === nextSeq && ring.read(record)) {
        const fields = record.value as unknown[];
        tasks.push(record.b, record.x, fields[0], fields[1]);
        if (fields.length > 2) (metas ??= new Array(n).fill(null))[n] = fields[2];
        else if (metas !== undefined) metas[n] = null;
        n++;
        nextSeq = (nextSeq + 1) | 0;
      }
      if (metas !== undefined) tasks.push(metas);
      deliver(tasks as ParentMessage);
      took = true;
    }
  };
  /** A message from the port, on the shared path: task batches wait their turn. */
  const route = (m: ParentMessage): void => {
    if (m[0] === Kind.TasksAt) portTasks.push(m);
    else deliver(m);
  };
  /** Before going back to the event loop: arrange to be woken by the next record. */
  const park = (ring: ByteRing): void => {
    while (ring.sleep(onWake)) if (!intake(ring)) return;
  };
  const onWake = (): void => {
    intake(taskRing!);
    settle();
  };

  // Spin, then park: a worker that just ran out of work watches its port
  // (and its task ring) for a moment before going back to sleep in the
  // event loop. The next task of a caller that awaits one task at a time
  // usually arrives within that moment and is picked up without a thread
  // wake-up. Only while nothing is running (no task's timer or I/O is held
  // back), and adaptively: after a spin that caught nothing, the next ones
  // are skipped (1, 2, 4, … up to 64 idle spells), so a worker that idles
  // for real burns next to no CPU. And only after a short task (SPIN_AFTER_MS).
  let spinning = false;
  let misses = 0;
  let skip = 0;
  const spin = (): void => {
    if (spinning || !runner.idle || runner.lastRunMs > SPIN_AFTER_MS) return;
    if (skip > 0) {
      skip--;
      return;
    }
    spinning = true;
    taskRing?.awake(); // watching: the pool need not notify
    let caught = false;
    const until = performance.now() + SPIN_MS;
    while (runner.idle && performance.now() < until) {
      if (taskRing?.pending && intake(taskRing)) {
        caught = true;
        continue;
      }
      const next = receiveMessageOnPort(port);
      if (next === undefined) continue;
      caught = true;
      receive(next.message as ParentMessage);
    }
    spinning = false;
    if (caught) misses = 0;
    else skip = Math.min(64, 2 ** misses++);
  };
  /** After any burst of work: spin, then (shared path) park. */
  const settle = (): void => {
    spin();
    if (taskRing !== undefined) park(taskRing);
  };
  const receive = (m: ParentMessage): void => {
    if (taskRing === undefined) {
      deliver(m);
      return;
    }
    route(m);
    intake(taskRing);
  };
  port.on('message', (m: ParentMessage) => {
    receive(m);
    settle();
  });
  port.postMessage([Kind.Ready, [...tasks.keys()], teardown !== undefined]);
  // Tasks sent ahead while it loaded start only now, after Ready (as port
  // messages do: they wait for the listener, which runs them a turn later).
  if (taskRing !== undefined) park(taskRing);
} catch (err) {
  port.postMessage(loadErrorMessage(err));
  process.exit(1);
}
