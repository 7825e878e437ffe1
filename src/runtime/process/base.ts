// What both process runtimes (Node task modules over IPC, other programs over
// JSON lines) share: in-flight bookkeeping, keeping the parent alive only
// while work is in flight, escalating termination, and reporting an exit only
// once everything the child wrote before dying has been read.
import type { ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import type { ErrorClasses } from '../../errors/remote.js';
import { groupAlive, sendSignal } from '../../util/kill.js';
import { type Reapable, track, untrack } from '../../util/reaper.js';
import type { ExitInfo, WireTask, WorkerHandle, WorkerSink } from '../types.js';
import { Inflight } from './inflight.js';
import { StderrWatch, type StdioMode } from './output.js';

/** Options every process worker takes. */
export interface ProcessCommon {
  concurrency: number;
  maxInflight: number;
  /** the environment of the worker (undefined: the parent's) */
  env: Record<string, string | undefined> | undefined;
  cwd: string | undefined;
  stdio: StdioMode;
  /** ms between each step of termination: stop request, SIGTERM, SIGKILL */
  killGrace: number;
  /** the user's error classes, rebuilt as themselves */
  errorClasses: ErrorClasses | undefined;
}

/**
 * How long, after a worker's exit, to wait for the messages and output it
 * wrote before dying (they normally arrive at once; a grandchild that
 * inherited a pipe can hold it open forever).
 */
const DRAIN_MS = 1000;

type Failure = { reason: 'error' | 'protocol'; error: Error; detail: string };

export abstract class ProcessHandle<T extends WireTask> implements WorkerHandle<T> {
  readonly canRevoke = false;
  readonly maxInflight: number;
  protected readonly flight: Inflight<T>;
  protected child: ChildProcess | undefined = undefined;
  protected stderr: StderrWatch | undefined = undefined;
  /** what the worker reported before dying, or why the pool stopped trusting it */
  protected failure: Failure | undefined = undefined;
  /** tasks already failed because of `failure` (they count as dying with the worker) */
  protected failedTasks = 0;
  private expected = false;
  private stopping = false;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined = undefined;
  /** pipes and channels still to be read to their end before the exit is reported */
  private open = 0;
  private drainTimer: NodeJS.Timeout | undefined = undefined;
  private killTimer: NodeJS.Timeout | undefined = undefined;
  private reported = false;
  private reapable: Reapable | undefined = undefined;
  private resolveDone!: () => void;
  private readonly done = new Promise<void>((resolve) => {
    this.resolveDone = resolve;
  });

  constructor(
    readonly id: number,
    protected readonly sink: WorkerSink<T>,
    protected readonly common: ProcessCommon,
  ) {
    this.maxInflight = common.maxInflight;
    this.flight = new Inflight<T>(common.maxInflight, common.concurrency);
  }

  get inflight(): number {
    return this.flight.size;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Processes share no memory: a task sent cannot be taken back. */
  revoke(_task: T): boolean {
    return false;
  }

  startedAt(task: T): number {
    return this.flight.startedAt(task);
  }

  tasks(): T[] {
    return this.flight.list();
  }

  /**
   * Stops the worker, escalating: an idle worker is asked to stop (and may
   * run its exit handlers), a busy one gets SIGTERM; whichever is still
   * alive `killGrace` ms later gets the next step, ending with SIGKILL.
   */
  terminate(): Promise<void> {
    this.expected = true;
    this.shutDown(this.flight.size === 0);
    return this.done;
  }

  abstract send(tasks: readonly T[]): void;
  abstract abort(task: T, reason: unknown): void;

  // ------------------------------------------------------------ for subclasses

  /** Asks the worker to stop on its own; false when it cannot be asked (channel gone). */
  protected abstract requestStop(): boolean;

  /** Watches a freshly spawned child: its exit, its stderr, and `drained` (what must close before the exit is reported). */
  protected adopt(child: ChildProcess, drained: (EventEmitter | undefined)[], watchesParent: boolean): void {
    this.child = child;
    if (child.stderr) this.stderr = new StderrWatch(child.stderr, this.common.stdio, this.id);
    child.on('error', () => {}); // a failed kill() or send(): the exit tells the rest
    if (child.pid === undefined) {
      // spawning failed (EAGAIN, a vanished cwd, a missing program): 'error' says why, no 'exit' follows
      child.once('error', (err) => {
        this.expected = true;
        this.sink.loadFailed(this, err);
        this.exit = { code: null, signal: null };
        this.report();
      });
      return;
    }
    // the pipes never hold the parent open: the child itself does, while it
    // starts (tasks wait in the pool's queue for it) and while it has work
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as { unref?: () => void } | null)?.unref?.();
    this.reapable = {
      pid: child.pid,
      tree: true,
      killSignal: 'SIGTERM',
      killGrace: this.common.killGrace,
      watchesParent,
    };
    track(this.reapable);
    for (const e of [...drained, child.stderr ?? undefined]) {
      if (!e) continue;
      this.open++;
      e.once(e === child ? 'disconnect' : 'close', () => {
        this.open--;
        if (this.exit && this.open === 0) this.report();
      });
    }
    child.once('exit', (code, signal) => this.exited(code, signal));
  }

  /** The worker is about to exit and says why (it failed to load): its exit is no crash. */
  protected expectExit(): void {
    this.expected = true;
  }

  /** The worker said it is ready: tasks may start; idle, it no longer holds the parent open. */
  protected becameReady(): void {
    this.flight.ready();
    if (this.flight.size === 0 && !this.stopping) this.child?.unref();
  }

  /** Records tasks going out: the parent stays alive while any is in flight. */
  protected added(t: T): void {
    this.flight.add(t);
    if (this.flight.size === 1) this.child?.ref();
  }

  /** A task's outcome arrived: hands it to the pool. */
  protected settle(t: T, ok: boolean, value: unknown, runMs: number): void {
    if (!this.flight.remove(t)) return;
    if (this.flight.size === 0 && !this.stopping) this.child?.unref();
    this.sink.result(this, t, ok, value, runMs);
  }

  /** A task never reached the worker (its arguments cannot be encoded). */
  protected unsent(t: T, error: unknown): void {
    if (!this.flight.remove(t)) return;
    if (this.flight.size === 0 && !this.stopping) this.child?.unref();
    this.sink.unsendable(this, t, error);
  }

  /**
   * The worker broke the protocol: it is asked to stop (it finishes what it
   * was sent, so only the tasks it was running when it broke need to fail),
   * then killed if it does not within killGrace.
   */
  protected broke(error: Error, detail: string): void {
    if (this.failure?.reason === 'protocol' || this.reported) return;
    this.failure = { reason: 'protocol', error, detail };
    this.shutDown(true);
  }

  /** True once the worker broke the protocol: nothing more it says is believed. */
  protected get distrusted(): boolean {
    return this.failure?.reason === 'protocol';
  }

  // ------------------------------------------------------------ internals

  private shutDown(askFirst: boolean): void {
    if (this.stopping || this.exit || !this.child) return;
    this.stopping = true;
    this.child.ref(); // whoever awaits terminate() must see the exit
    const grace = this.common.killGrace;
    if (grace === 0) {
      this.signal('SIGKILL');
    } else if (askFirst && this.requestStop()) {
      this.later(grace, () => {
        this.signal('SIGTERM');
        this.later(grace, () => this.signal('SIGKILL'));
      });
    } else {
      this.signal('SIGTERM');
      this.later(grace, () => this.signal('SIGKILL'));
    }
  }

  private later(ms: number, fn: () => void): void {
    this.killTimer = setTimeout(() => {
      if (!this.exit) fn();
    }, ms);
  }

  /** Signals the worker's whole process group (it leads one: grandchildren go too). */
  private signal(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    if (this.reapable) this.reapable.killSignal = signal;
    sendSignal(pid, true, signal);
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    this.exit = { code, signal };
    this.flight.seal();
    clearTimeout(this.killTimer);
    const pid = this.child!.pid!;
    if (groupAlive(pid)) {
      // grandchildren outlived the worker: they go too, by force after the grace
      sendSignal(pid, true, 'SIGTERM');
      setTimeout(() => sendSignal(pid, true, 'SIGKILL'), this.common.killGrace).unref();
    }
    if (this.open === 0) this.report();
    else this.drainTimer = setTimeout(() => this.report(), DRAIN_MS);
  }

  private report(): void {
    if (this.reported) return;
    this.reported = true;
    clearTimeout(this.drainTimer);
    clearTimeout(this.killTimer);
    if (this.reapable) untrack(this.reapable);
    const child = this.child!;
    for (const s of [child.stdin, child.stdout, child.stderr]) s?.destroy();
    if (child.connected) child.disconnect();
    this.sink.exit(this, this.exitInfo());
    this.resolveDone();
  }

  private exitInfo(): ExitInfo {
    const { code, signal } = this.exit ?? { code: null, signal: null };
    const f = this.failure;
    const base = { exitCode: code, signal };
    if (this.expected && !f) return { ...base, reason: 'exit', detail: 'was stopped', expected: true };
    if (f?.reason === 'protocol')
      return {
        ...base,
        reason: 'protocol',
        detail: f.detail,
        error: f.error,
        expected: false,
        failedTasks: this.failedTasks,
      };
    const oom = this.stderr?.oom;
    if (oom) return { ...base, reason: 'oom', detail: 'ran out of memory', error: new Error(oom), expected: false };
    if (f) return { ...base, reason: 'error', detail: f.detail, error: f.error, expected: false };
    if (signal)
      return {
        ...base,
        reason: 'signal',
        detail: `was killed by ${signal}`,
        error: this.stderrError(),
        expected: false,
      };
    return { ...base, reason: 'exit', detail: `exited with code ${code}`, error: this.stderrError(), expected: false };
  }

  /** The worker's last words on stderr, as the cause of its crash error. */
  private stderrError(): Error | undefined {
    const lines = this.stderr?.lastLines();
    return lines ? new Error(`last lines on the worker's stderr:\n${lines}`) : undefined;
  }
}
