// Parent side of the thread runtime: one worker_threads Worker, a private
// MessageChannel for tasks and results, shared claim words (claims.ts), a
// shared ring for primitive results (results.ts) and, on the shared path,
// rings for tasks and other results (ring.ts).
import {
  MessageChannel,
  type MessagePort,
  type ResourceLimits,
  receiveMessageOnPort,
  type TransferListItem,
  Worker,
  type WorkerOptions,
} from 'node:worker_threads';
import { type ErrorClasses, toRemote } from '../../errors/remote.js';
import { BLOCKING_WORDS } from '../../shared/blocking.js';
import { decodeError } from '../decode.js';
import { inheritedExecArgv } from '../exec-argv.js';
import { type ChildMessage, Kind, RESULT_FIELDS, tagOf, withMeta } from '../protocol.js';
import type { ExitInfo, WireTask, WorkerHandle, WorkerSink } from '../types.js';
import { Claims, createClaimBuffer } from './claims.js';
import type { ThreadBoot } from './entry.js';
import { createResultBuffer, ResultRing } from './results.js';
import { ByteRing, createRingBuffer, type RingRecord } from './ring.js';

const entry = new URL('./entry.js', import.meta.url);
/** Shared path: a send publishes (and wakes the worker) every this many bytes of records. */
const PUBLISH_BYTES = 64 * 1024;

export interface ThreadOptions {
  url: string;
  /** the setup module's URL, '' for none */
  setup: string;
  /** ms a worker asked to stop (one with a teardown) has before it is terminated */
  killGrace: number;
  concurrency: number;
  maxInflight: number;
  maxHeapMb: number;
  workerData: unknown;
  env: Record<string, string | undefined> | undefined;
  execArgv: string[] | undefined;
  resourceLimits: ResourceLimits | undefined;
  /** the user's error classes, rebuilt as themselves */
  errorClasses: ErrorClasses | undefined;
  /**
   * tasks and results whose values the codec reproduces exactly travel
   * through shared rings (ring.ts) rather than postMessage
   */
  shared: boolean;
}

/**
 * Left unset, a Worker copies the parent's parsed flags, which tolerates
 * process-wide flags such as --expose-gc but also copies --input-type, with
 * which no worker can start. Only then is an explicit list passed, minus the
 * flags Node names as invalid for a thread.
 */
function startWorker(
  execArgv: string[] | undefined,
  options: (execArgv: string[] | undefined) => WorkerOptions,
): Worker {
  if (execArgv !== undefined) return new Worker(entry, options(execArgv));
  const inherited = inheritedExecArgv();
  if (inherited.length === process.execArgv.length) return new Worker(entry, options(undefined));
  try {
    return new Worker(entry, options(inherited));
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    const invalid = new Set(
      (err as Error).message
        .split(': ')
        .pop()
        ?.split(/[\s,]+/),
    );
    return new Worker(entry, options(inherited.filter((a) => !invalid.has(a) && !invalid.has(a.split('=')[0]!))));
  }
}

export class ThreadHandle<T extends WireTask> implements WorkerHandle<T> {
  readonly canRevoke = true;
  readonly maxInflight: number;
  readonly pid = undefined;
  readonly blocking: Int32Array;
  inflight = 0;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly claims: Claims;
  private readonly ring: ResultRing;
  /** shared path: tasks to the worker, and results that are not primitives back */
  private readonly taskRing: ByteRing | undefined;
  private readonly records: ByteRing | undefined;
  private readonly record: RingRecord = { a: 0, b: 0, x: 0, y: 0, value: undefined };
  /** shared path: the sequence number of the next task sent, whichever way (ring.ts, ORDER OF TASKS) */
  private sendSeq = 0;
  /** shared path: a send() is under way; tasks sent from inside it wait here */
  private sending: T[] | undefined;
  /** tasks sent through the task ring, and results read from the record ring (tests check the path taken) */
  ringTasks = 0;
  ringResults = 0;
  private readonly fromRing = (slot: number, tag: number, value: unknown, runMs: number): void => {
    const t = this.bySlot[slot];
    if (t === undefined || tagOf(t.id) !== tag) return;
    this.release(slot);
    this.sink.result(this, t, true, value, runMs);
  };
  // Slots are made as they are first needed, up to maxInflight: most workers
  // never hold more than a few tasks, whatever the bound.
  private readonly bySlot: (T | undefined)[] = [];
  private readonly seqOf: number[] = [];
  private readonly free: number[] = [];
  private seq = 0;
  private readonly classes: ErrorClasses | undefined;
  private expected = false;
  /** the setup module gave a teardown: an idle worker is asked to stop rather than terminated */
  private teardown = false;
  /** asked to stop: terminated anyway when killGrace runs out */
  private asked: NodeJS.Timeout | undefined = undefined;
  /** asked, and terminated because its teardown outlasted killGrace */
  private overdue = false;
  private readonly killGrace: number;
  private error: Error | undefined;
  private exited: Promise<void>;
  private readonly handlers: Record<number, (m: ChildMessage) => void> = {
    [Kind.Ready]: (m) => {
      this.teardown = m[2] === true;
      this.sink.ready(this, m[1] as string[]);
    },
    [Kind.LoadError]: (m) => {
      this.expected = true;
      this.sink.loadFailed(this, decodeError('(load)', m[1], this.classes), m[2] as string | undefined);
    },
    [Kind.TeardownError]: (m) => this.sink.teardownFailed(this, decodeError('(teardown)', m[1], this.classes)),
    [Kind.Result]: (m) => {
      this.results(m);
      // on the shared path the first result of a burst is a message that rings the bell too (ring.ts)
      if (this.records !== undefined) this.readRings();
    },
    [Kind.Recycle]: (m) => this.sink.recycle(this, m[1] as number),
    [Kind.Bell]: () => this.readRings(),
    [Kind.Progress]: (m) => {
      const t = this.bySlot[m[1] as number];
      if (t !== undefined && t.id === m[2]) this.sink.progress(this, t, m[3]);
    },
  };

  constructor(
    readonly id: number,
    private readonly sink: WorkerSink<T>,
    options: ThreadOptions,
  ) {
    const slots = options.maxInflight;
    this.maxInflight = slots;
    this.classes = options.errorClasses;
    this.killGrace = options.killGrace;
    const buffer = createClaimBuffer(slots);
    this.claims = new Claims(buffer, slots);
    const ringBuffer = createResultBuffer();
    this.ring = new ResultRing(ringBuffer);
    let taskBuffer: SharedArrayBuffer | undefined;
    let recordBuffer: SharedArrayBuffer | undefined;
    if (options.shared) {
      taskBuffer = createRingBuffer();
      recordBuffer = createRingBuffer();
      this.taskRing = new ByteRing(taskBuffer);
      this.records = new ByteRing(recordBuffer);
    }
    const blocking = new SharedArrayBuffer(BLOCKING_WORDS * 4);
    this.blocking = new Int32Array(blocking);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const boot: ThreadBoot = {
      init: {
        url: options.url,
        setup: options.setup,
        concurrency: options.concurrency,
        maxHeapMb: options.maxHeapMb,
        workerId: id,
      },
      port: port2,
      claims: buffer,
      results: ringBuffer,
      tasks: taskBuffer,
      records: recordBuffer,
      blocking,
      slots,
      workerData: options.workerData,
    };
    this.worker = startWorker(options.execArgv, (execArgv) => ({
      workerData: boot,
      transferList: [port2],
      env: options.env,
      execArgv,
      resourceLimits: options.resourceLimits,
    }));
    this.worker.unref();
    port1.on('message', (m: ChildMessage) => {
      this.handlers[m[0]]?.(m);
      this.drain(); // the rest of the burst, without one event dispatch each
    });
    port1.on('messageerror', (err) => {
      // A result that cannot be deserialized here would leave its task
      // unsettled forever; end the worker so its tasks settle as crashed.
      this.error = err;
      void this.worker.terminate();
    });
    // The port never holds the process open; the Worker is ref'd while it has
    // tasks in flight (a ref'd port alone lets the process exit before a
    // dying worker's 'exit' event arrives, leaving its tasks unsettled).
    port1.unref();
    this.worker.on('error', (err) => {
      this.error = err;
    });
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        clearTimeout(this.asked);
        this.drainAll();
        port1.close();
        this.sink.exit(this, this.exitInfo(code));
        resolve();
      });
    });
  }

  send(tasks: readonly T[]): void {
    if (this.taskRing !== undefined) {
      this.sendShared(this.taskRing, tasks);
      return;
    }
    const message: unknown[] = [Kind.Tasks];
    let metas = false;
    let transfer: TransferListItem[] | undefined;
    for (const t of tasks) {
      this.place(t);
      message.push(t.slot, t.id, t.name, t.args);
      if (t.meta !== undefined) metas = true;
      if (t.transfer) (transfer ??= []).push(...t.transfer);
    }
    if (metas) message.push(tasks.map((t) => t.meta ?? null));
    try {
      this.port.postMessage(message, transfer);
    } catch {
      // One task in the batch cannot be cloned: send them one by one so the
      // others still go and only the culprit is reported.
      for (const t of tasks) {
        try {
          this.port.postMessage(
            withMeta([Kind.Tasks, t.slot, t.id, t.name, t.args], [t]),
            t.transfer as TransferListItem[] | undefined,
          );
        } catch (err) {
          this.release(t.slot);
          this.sink.unsendable(this, t, err);
        }
      }
    }
  }

  /**
   * The shared path: each task whose fields the codec reproduces exactly
   * (no transfer list) goes into the task ring; runs of the others go by
   * postMessage, posted before any ring record sent after them is
   * published. Every task takes the next sequence number either way.
   */
  private sendShared(ring: ByteRing, tasks: readonly T[]): void {
    if (this.sending !== undefined) {
      // Sent from inside this send (a getter that structured clone ran in
      // post() called the pool): after the tasks this send is placing, in
      // order; sent at once it would take sequence numbers that the batch
      // being posted already holds.
      this.sending.push(...tasks);
      return;
    }
    this.sending = [];
    try {
      this.sendRing(ring, tasks);
      while (this.sending.length > 0) this.sendRing(ring, this.sending.splice(0));
    } finally {
      this.sending = undefined;
    }
  }

  private sendRing(ring: ByteRing, tasks: readonly T[]): void {
    if (tasks.length === 1 && this.inflight === 0) {
      // A lone task for an idle worker: a message costs no more than a record
      // here, and wakes a sleeping worker without a notify.
      this.place(tasks[0]!);
      this.post([tasks[0]!]);
      return;
    }
    let batch: T[] | undefined;
    let full = false;
    for (const t of tasks) {
      this.place(t);
      // put() right after encode(): the encoder's bytes are scratch memory
      // that post() below may overwrite (a getter run by its structured
      // clone can send a task to another worker). The record's sequence
      // number is set once the tasks before it have taken theirs.
      if (!full && t.transfer === undefined && ring.encode(fieldsOf(t))) {
        if (ring.put(0, t.slot, t.id, 0)) {
          if (batch !== undefined) {
            this.post(batch);
            batch = undefined;
          }
          ring.setA(this.sendSeq);
          this.sendSeq = (this.sendSeq + 1) | 0;
          this.ringTasks++;
          // A long send shows the worker what it wrote as it goes, so that
          // the worker drains the ring while the rest is written.
          if (ring.unpublished >= PUBLISH_BYTES && ring.publish()) ring.wake();
          continue;
        }
        // The ring is full: the rest of this send goes as one message (one
        // per task, each encoded in vain, was the cost of trying on).
        full = true;
      }
      (batch ??= []).push(t);
    }
    if (batch !== undefined) this.post(batch);
    if (ring.publish()) ring.wake();
  }

  /** Shared path: one TasksAt message for `tasks` (one by one if one cannot be cloned). */
  private post(tasks: T[]): void {
    const message: unknown[] = [Kind.TasksAt, this.sendSeq];
    let transfer: TransferListItem[] | undefined;
    for (const t of tasks) {
      message.push(t.slot, t.id, t.name, t.args);
      if (t.transfer) (transfer ??= []).push(...t.transfer);
    }
    withMeta(message, tasks);
    try {
      this.port.postMessage(message, transfer);
      this.sendSeq = (this.sendSeq + tasks.length) | 0;
      return;
    } catch {
      // as in send(): the others still go, only the culprit is reported
    }
    for (const t of tasks) {
      try {
        const one: unknown[] = [Kind.TasksAt, this.sendSeq, t.slot, t.id, t.name, t.args];
        withMeta(one, [t]);
        this.port.postMessage(one, t.transfer as TransferListItem[] | undefined);
        this.sendSeq = (this.sendSeq + 1) | 0;
      } catch (err) {
        this.release(t.slot);
        this.sink.unsendable(this, t, err);
      }
    }
    // a sequence number is taken only by a task that was sent: the worker sees no gap
  }

  revoke(task: T): boolean {
    if (this.bySlot[task.slot] !== task || !this.claims.takeBack(task.slot, tagOf(task.id))) return false;
    this.release(task.slot);
    return true;
  }

  startedAt(task: T): number {
    return this.bySlot[task.slot] === task ? this.claims.startedAt(task.slot, tagOf(task.id)) : 0;
  }

  abort(task: T, reason: unknown): void {
    if (this.bySlot[task.slot] !== task) return;
    this.claims.markAborted(task.slot, tagOf(task.id));
    try {
      this.port.postMessage([Kind.Abort, task.slot, task.id, toRemote(reason)]);
    } catch {
      // the port is closing: the worker is gone and its exit settles the task
    }
  }

  tasks(): T[] {
    const out: T[] = [];
    for (const t of this.bySlot) if (t !== undefined) out.push(t);
    return out.sort((a, b) => this.seqOf[a.slot]! - this.seqOf[b.slot]!);
  }

  /** Reads what the worker already posted or wrote to the result ring (a timeout checks before it fires). */
  flush(): void {
    this.drainAll();
  }

  /**
   * Stops the worker. One whose setup gave a teardown is asked first when
   * idle (the teardown runs, then the thread ends), and terminated if it has
   * not ended `killGrace` ms later; a busy one, or one without a teardown, is
   * terminated at once. A second call while it is asked waits for the first.
   */
  terminate(): Promise<void> {
    this.expected = true;
    // Whoever awaits terminate() must see the exit: an abandoned task's late
    // result would otherwise unref the Worker mid-termination and let the
    // process end with the caller's await still pending.
    this.worker.ref();
    if (this.asked !== undefined) return this.exited;
    if (this.teardown && this.inflight === 0 && this.killGrace > 0) {
      try {
        this.port.postMessage([Kind.Close]);
        this.asked = setTimeout(() => {
          this.overdue = true;
          void this.worker.terminate();
        }, this.killGrace);
        return this.exited;
      } catch {
        // the port is closed: the thread is ending anyway
      }
    }
    void this.worker.terminate();
    return this.exited;
  }

  private place(t: T): void {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.bySlot.length >= this.maxInflight)
        throw new Error('spindle: worker has no free slot (pool bookkeeping bug)');
      slot = this.bySlot.length;
      this.bySlot.push(undefined);
      this.seqOf.push(0);
    }
    t.slot = slot;
    this.bySlot[slot] = t;
    this.seqOf[slot] = ++this.seq;
    this.claims.offer(slot, tagOf(t.id));
    if (this.inflight++ === 0) this.worker.ref();
  }

  private release(slot: number): void {
    this.bySlot[slot] = undefined;
    this.free.push(slot);
    if (--this.inflight === 0 && !this.expected) this.worker.unref();
  }

  private results(m: ChildMessage): void {
    for (let i = 1; i < m.length; i += RESULT_FIELDS) {
      const slot = m[i] as number;
      const t = this.bySlot[slot];
      if (t === undefined || t.id !== m[i + 1]) continue;
      this.release(slot);
      const ok = m[i + 2] as boolean;
      const value = ok ? m[i + 3] : decodeError(t.name, m[i + 3], this.classes);
      this.sink.result(this, t, ok, value, m[i + 4] as number);
    }
  }

  /** Delivers what the worker posted before it exited ('exit' can overtake it). */
  private drainAll(): void {
    this.drain();
    this.readRings();
  }

  /** On a Bell: the result ring (which clears the bell first), then the record ring. */
  private readRings(): void {
    this.ring.read(this.fromRing);
    const records = this.records;
    if (records === undefined) return;
    const r = this.record;
    for (;;) {
      let ok: boolean;
      let value: unknown;
      let wire = true;
      try {
        if (!records.read(r)) return;
        ok = r.b === 1;
        value = r.value;
      } catch (err) {
        // a record that does not decode (shared memory scribbled on) fails its task with the coded error
        ok = false;
        value = err;
        wire = false;
      }
      const slot = r.a;
      const t = this.bySlot[slot];
      if (t === undefined || t.id !== r.x) continue;
      this.ringResults++;
      this.release(slot);
      if (!ok && wire) value = decodeError(t.name, value, this.classes);
      this.sink.result(this, t, ok, value, r.y);
    }
  }

  private drain(): void {
    for (let r = receiveMessageOnPort(this.port); r !== undefined; r = receiveMessageOnPort(this.port)) {
      const m = r.message as ChildMessage;
      this.handlers[m[0]]?.(m);
    }
  }

  private exitInfo(code: number): ExitInfo {
    const err = this.error as (Error & { code?: string }) | undefined;
    if (this.expected && !err) {
      const detail = this.overdue ? 'was terminated: its teardown ran longer than killGrace' : 'was stopped';
      return { reason: 'exit', exitCode: code, signal: null, detail, expected: true };
    }
    if (err?.code === 'ERR_WORKER_OUT_OF_MEMORY')
      return {
        reason: 'oom',
        exitCode: code,
        signal: null,
        detail: 'ran out of memory (resourceLimits)',
        error: err,
        expected: false,
      };
    if (err)
      return {
        reason: 'error',
        exitCode: code,
        signal: null,
        detail: `died of an uncaught error: ${err.message}`,
        error: err,
        expected: false,
      };
    return {
      reason: 'exit',
      exitCode: code,
      signal: null,
      detail: `exited with code ${code}`,
      expected: this.expected,
    };
  }
}

/**
 * What a task's ring record carries after its slot and id: its name and
 * arguments, and the observability metadata when the task carries some
 * (absent: nothing is added, nothing is encoded). The worker turns it back
 * into the fields of a Tasks message.
 */
function fieldsOf(t: WireTask): unknown[] {
  const meta = t.meta;
  return meta === undefined ? [t.name, t.args] : [t.name, t.args, meta];
}
