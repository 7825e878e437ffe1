// The supervisor in the cluster primary: starts the worker slots, restarts
// crashed workers, runs rolling reloads and health replacements through the
// slots, stops everything under one deadline, and carries typed messages.

import { EventEmitter } from 'node:events';
import {
  ClusterClosedError,
  type ClusterCrashLoopError,
  ClusterPeerGoneError,
  ClusterReloadFailedError,
  ClusterStartFailedError,
  type ClusterWorkerNotReadyError,
} from '../errors/index.js';
import { toRemote } from '../errors/remote.js';
import { formatBytes } from '../util/bytes.js';
import { formatDuration, optionalDuration } from '../util/duration.js';
import { knownOptions } from '../util/known.js';
import { invalid, readOptions } from '../util/validate.js';
import { normalize, type Settings } from './options.js';
import { Listeners, serveRequest } from './rpc.js';
import { Slot, type SlotHost } from './slot.js';
import { StickyBalancer } from './sticky/balancer.js';
import type {
  CloseOptions,
  CloseResult,
  ClusterProtocol,
  ClusterWorkerEvent,
  ClusterWorkerExitEvent,
  ClusterWorkerInfo,
  ClusterWorkerRestartEvent,
  ClusterWorkerUnhealthyEvent,
  PrimaryRequests,
  RequestData,
  RequestOptions,
  RequestReply,
  SuperviseOptions,
  SupervisorState,
  ToPrimary,
  ToWorker,
  WorkerRequests,
} from './types.js';
import { WorkerProcess, type WorkerProcessHost } from './worker-process.js';

/** Events a Supervisor emits, with their arguments. */
export interface SupervisorEvents {
  workerReady: [ClusterWorkerEvent];
  workerExit: [ClusterWorkerExitEvent];
  workerRestart: [ClusterWorkerRestartEvent];
  workerUnhealthy: [ClusterWorkerUnhealthyEvent];
  crashLoop: [ClusterCrashLoopError];
  reloadStart: [];
  reloadDone: [];
  reloadFailed: [ClusterReloadFailedError];
  closing: [];
  closed: [CloseResult];
}

function checkTopic(topic: unknown): void {
  if (typeof topic !== 'string' || topic === '') throw invalid('topic', 'a non-empty string', topic);
}

const CLOSE_OPTIONS = new Set(['grace']);

/** Starts the workers and resolves once all are ready; rejects with ERR_CLUSTER_START_FAILED otherwise. */
export function supervise<P extends ClusterProtocol = ClusterProtocol>(
  options: SuperviseOptions,
): Promise<Supervisor<P>> {
  return Supervisor.start<P>(options);
}

export class Supervisor<P extends ClusterProtocol = ClusterProtocol> extends EventEmitter<SupervisorEvents> {
  #settings: Settings;
  #slots: Slot[];
  #state: SupervisorState = 'starting';
  #balancer: StickyBalancer | undefined;
  #health: NodeJS.Timeout | undefined;
  #listeners = new Listeners();
  #handlers = new Map<string, (data: any, from: ClusterWorkerEvent) => unknown>();
  #reloadTail: Promise<void> = Promise.resolve();
  #queuedReload: Promise<void> | undefined;
  #closing: Promise<CloseResult> | undefined;
  #workerHost: WorkerProcessHost;

  /** Use `supervise()`. */
  private constructor(settings: Settings) {
    super();
    this.#settings = settings;
    const sup = this;
    const host: SlotHost = {
      settings,
      get closing() {
        return sup.#state === 'closing' || sup.#state === 'closed';
      },
      spawn: (id) => new WorkerProcess(id, this.#settings, this.#workerHost),
      log: settings.log,
      emit: (event, payload) => this.emit(event as 'workerReady', payload as ClusterWorkerEvent),
    };
    this.#workerHost = {
      beat: (w) => this.#checkMemory(w),
      message: (w, m) => this.#listeners.emit(m.topic, m.data, { id: w.id, pid: w.pid }),
      request: (w, m) => void serveRequest(this.#handlers, m, (r) => w.post(r), { id: w.id, pid: w.pid }),
      stickyListen: (w, m) => {
        if (!this.#balancer) return; // only a sticky worker asks; ignore one that is not
        this.#balancer.listen(m.host, m.port, m.backlog).then(
          () => w.post({ $spindle: 'sticky-listening', id: m.id }),
          (err: NodeJS.ErrnoException) =>
            w.post({ $spindle: 'sticky-listening', id: m.id, error: toRemote(err, 'json') }),
        );
      },
      exit: (w, exit) => this.#slots[w.id - 1]!.exited(w, exit),
    };
    // Slot ids start at 1 (docs/conventions.md rule 2); the array index is id - 1.
    this.#slots = Array.from({ length: settings.workers }, (_, i) => new Slot(i + 1, host));
    if (settings.sticky) {
      this.#balancer = new StickyBalancer(settings.sticky, () => {
        const out = new Map();
        for (const slot of this.#slots) if (slot.current?.state === 'ready') out.set(slot.id, slot.current.worker);
        return out;
      });
    }
  }

  /** Use `supervise()`. */
  static async start<P extends ClusterProtocol>(options: SuperviseOptions): Promise<Supervisor<P>> {
    const sup = new Supervisor<P>(normalize(options));
    await sup.#start();
    return sup;
  }

  async #start(): Promise<void> {
    const { workers, log } = this.#settings;
    const results = await Promise.allSettled(this.#slots.map((s) => s.start()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.close();
      const err = new ClusterStartFailedError(failed.reason as ClusterWorkerNotReadyError);
      log(err.message);
      throw err;
    }
    this.#state = 'running';
    this.#startHealth();
    log(
      `${workers} worker${workers === 1 ? '' : 's'} ready (pids ${this.#slots.map((s) => s.current?.pid).join(', ')})`,
    );
  }

  /** A snapshot of every slot, in id order (1 … workers). */
  get workers(): ClusterWorkerInfo[] {
    return this.#slots.map((s) => s.info);
  }

  /** 'starting', 'running', 'closing' or 'closed'. */
  get state(): SupervisorState {
    return this.#state;
  }

  // ---- health: heartbeat (blocked event loop) and memory limit; replacement goes through the rolling path
  #startHealth(): void {
    const hb = this.#settings.heartbeat;
    if (!hb) return;
    this.#health = setInterval(() => {
      for (const slot of this.#slots) {
        const h = slot.current;
        if (h?.state !== 'ready' || h.unhealthy || slot.incoming) continue;
        const silent = Date.now() - h.lastBeat;
        if (silent > hb.timeout)
          this.#unhealthy(slot, h, 'heartbeat', `no heartbeat for ${formatDuration(silent)} (event loop blocked?)`);
      }
    }, hb.interval).unref();
  }

  #checkMemory(h: WorkerProcess): void {
    const max = this.#settings.maxMemory;
    if (!max || h.rss === undefined || h.state !== 'ready' || h.unhealthy) return;
    // Two readings in a row, so a short spike before a GC does not count.
    h.overMemory = h.rss > max ? h.overMemory + 1 : 0;
    const slot = this.#slots[h.id - 1]!;
    if (h.overMemory >= 2 && slot.current === h && !slot.incoming) {
      this.#unhealthy(slot, h, 'memory', `rss ${formatBytes(h.rss)} is above the limit of ${formatBytes(max)}`);
    }
  }

  #unhealthy(slot: Slot, h: WorkerProcess, reason: 'heartbeat' | 'memory', detail: string): void {
    if (this.#state !== 'running') return;
    h.unhealthy = true;
    this.#settings.log(`worker ${slot.id} (pid ${h.pid}) is unhealthy: ${detail}; replacing it`);
    this.emit('workerUnhealthy', { id: slot.id, pid: h.pid, reason, detail });
    slot.replace('unhealthy').catch((err: Error) => {
      this.#settings.log(`could not replace unhealthy worker ${slot.id}: ${err.message}; it keeps serving for now`);
      // Try again later rather than in a tight loop of failing starts.
      setTimeout(() => (h.unhealthy = false), this.#settings.readyTimeout).unref();
    });
  }

  // ---- reload
  /**
   * Zero-downtime rolling reload, one slot at a time; each new worker runs the
   * script as it is on disk now. Rejects with ERR_CLUSTER_RELOAD_FAILED, and
   * stops the rollout, when a new worker does not become ready. A reload asked
   * for while one runs is queued (several requests share one queued reload).
   */
  reload(): Promise<void> {
    if (this.#state !== 'running') return Promise.reject(new ClusterClosedError('reload'));
    if (this.#queuedReload) return this.#queuedReload;
    const run: Promise<void> = this.#reloadTail.then(
      () => this.#rollout(run),
      () => this.#rollout(run),
    );
    this.#queuedReload = run;
    this.#reloadTail = run.catch(() => {});
    return run;
  }

  async #rollout(run: Promise<void>): Promise<void> {
    if (this.#queuedReload === run) this.#queuedReload = undefined;
    const { log } = this.#settings;
    if (this.#state !== 'running') throw new ClusterClosedError('reload');
    log(`reloading ${this.#slots.length} worker${this.#slots.length === 1 ? '' : 's'}, one at a time`);
    this.emit('reloadStart');
    for (const slot of this.#slots) {
      try {
        await slot.replace('reload');
      } catch (err) {
        if (this.#state !== 'running') throw new ClusterClosedError('finish the reload');
        const e = new ClusterReloadFailedError(err as ClusterWorkerNotReadyError);
        log(e.message);
        this.emit('reloadFailed', e);
        throw e;
      }
      if (this.#state !== 'running') throw new ClusterClosedError('finish the reload');
    }
    log('reload complete');
    this.emit('reloadDone');
  }

  // ---- close
  /**
   * Graceful close: every worker drains at once under one deadline (`grace`):
   * its servers stop accepting, onShutdown hooks run, in-flight requests
   * finish; then SIGTERM, then SIGKILL after `killGrace`. Resolves
   * `{ clean, forced }`; never rejects. Idempotent: a second call returns the
   * first call's promise.
   */
  close(options?: CloseOptions): Promise<CloseResult> {
    if (this.#closing) return this.#closing;
    let grace: number;
    try {
      const o = knownOptions('options', options, CLOSE_OPTIONS) ?? {};
      grace = optionalDuration('grace', o.grace, this.#settings.grace);
    } catch (err) {
      return Promise.reject(err);
    }
    this.#closing = this.#close(grace);
    return this.#closing;
  }

  /**
   * The forced form of close(): no drain; every worker gets SIGTERM now and
   * SIGKILL after `killGrace`. Also cuts short a close() in progress.
   */
  async destroy(): Promise<void> {
    const closing = this.close({ grace: 0 });
    for (const slot of this.#slots) slot.terminate();
    await closing;
  }

  async #close(grace: number): Promise<CloseResult> {
    const { log } = this.#settings;
    this.#state = 'closing';
    clearInterval(this.#health);
    const live = this.#slots.reduce((n, s) => n + s.live.length, 0);
    if (live > 0) log(`stopping ${live} worker${live === 1 ? '' : 's'} (grace ${formatDuration(grace)})`);
    this.emit('closing');
    this.#balancer?.close();
    const deadline = Date.now() + grace;
    const forced = await Promise.all(this.#slots.map((s) => s.stop(deadline)));
    const result: CloseResult = {
      clean: forced.every((f) => !f),
      forced: this.#slots.filter((_, i) => forced[i]).map((s) => s.id),
    };
    this.#state = 'closed';
    if (live > 0)
      log(result.clean ? 'stopped cleanly' : `stopped; worker(s) ${result.forced.join(', ')} had to be killed`);
    this.emit('closed', result);
    return result;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- typed messages
  /** The worker serving slot `id`, for sending `topic` (both checked first: they are the caller's values). */
  #serving(id: number, topic: string, what: string): WorkerProcess {
    if (!Number.isInteger(id) || id < 1 || id > this.#slots.length) {
      throw invalid('id', `a worker id from 1 to ${this.#slots.length}`, id);
    }
    checkTopic(topic);
    if (this.#state === 'closing' || this.#state === 'closed')
      throw new ClusterClosedError(`send ${what} '${topic}' to worker ${id}`);
    const h = this.#slots[id - 1]!.current;
    if (!h?.worker.isConnected()) throw new ClusterPeerGoneError(`Worker ${id} has no running process right now`);
    return h;
  }

  /** Sends a message to every serving worker; returns how many it was sent to. */
  broadcast<T extends keyof ToWorker<P> & string>(topic: T, data: ToWorker<P>[T]): number {
    checkTopic(topic);
    let n = 0;
    for (const slot of this.#slots) if (slot.current?.post({ $spindle: 'msg', topic, data })) n++;
    return n;
  }

  /** Sends a message to the worker serving slot `id`. */
  send<T extends keyof ToWorker<P> & string>(id: number, topic: T, data: ToWorker<P>[T]): void {
    this.#serving(id, topic, 'message').post({ $spindle: 'msg', topic, data });
  }

  /** Asks the worker serving slot `id` (its `primary().handle(topic)`) and resolves with the reply. */
  async request<T extends keyof WorkerRequests<P> & string>(
    id: number,
    topic: T,
    data: RequestData<WorkerRequests<P>[T]>,
    options?: RequestOptions,
  ): Promise<RequestReply<WorkerRequests<P>[T]>> {
    const timeout = optionalDuration('options.timeout', readOptions('options', options)?.timeout, 10_000);
    const h = this.#serving(id, topic, 'request');
    return h.pending.request(topic, data, timeout, (m) => h.post(m)) as Promise<RequestReply<WorkerRequests<P>[T]>>;
  }

  /** Listens for a topic workers send; returns an unsubscribe function. */
  onMessage<T extends keyof ToPrimary<P> & string>(
    topic: T,
    fn: (data: ToPrimary<P>[T], from: ClusterWorkerEvent) => void,
  ): () => void {
    return this.#listeners.on(topic, fn);
  }

  /** Serves workers' requests for a topic; the return value (or promise) is the reply. */
  handle<T extends keyof PrimaryRequests<P> & string>(
    topic: T,
    fn: (
      data: RequestData<PrimaryRequests<P>[T]>,
      from: ClusterWorkerEvent,
    ) => RequestReply<PrimaryRequests<P>[T]> | Promise<RequestReply<PrimaryRequests<P>[T]>>,
  ): () => void {
    this.#handlers.set(topic, fn);
    return () => void this.#handlers.delete(topic);
  }
}
