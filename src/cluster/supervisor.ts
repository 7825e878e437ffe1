// The supervisor in the cluster primary: starts the worker slots, restarts
// crashed workers, runs rolling reloads, scaling and health replacements
// through the slots, stops everything under one deadline, carries typed
// messages, and (with a name) serves the control socket from one status
// snapshot.
import { EventEmitter } from 'node:events';
import { ControlServer } from '../control/server.js';
import type { ControlTarget } from '../control/types.js';
import {
  ClusterClosedError,
  type ClusterCrashLoopError,
  ClusterPeerGoneError,
  ClusterReloadFailedError,
  ClusterScaleFailedError,
  ClusterStartFailedError,
  type ClusterWorkerNotReadyError,
} from '../errors/index.js';
import { toRemote } from '../errors/remote.js';
import { ClusterMetrics, METRICS_TOPIC, type WorkerMetricsReply } from '../observe/cluster.js';
import { formatBytes } from '../util/bytes.js';
import { availableCpus } from '../util/cpus.js';
import { formatDuration, optionalDuration } from '../util/duration.js';
import { knownOptions } from '../util/known.js';
import { invalid, MAX_WORKERS, readOptions, workerCount } from '../util/validate.js';
import { normalize, type Settings } from './options.js';
import { WorkerOutput } from './output.js';
import { Listeners, serveRequest } from './rpc.js';
import type { Slot, SlotHost } from './slot.js';
import { SlotSet } from './slots.js';
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
  ScaleResult,
  SuperviseOptions,
  SupervisorState,
  SupervisorStatus,
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
  scale: [ScaleResult];
  closing: [];
  closed: [CloseResult];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

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
  #slots: SlotSet;
  #state: SupervisorState = 'starting';
  #startedAt = Date.now();
  #counts = { reloadsOk: 0, reloadsFailed: 0, crashes: 0 };
  #balancer: StickyBalancer | undefined;
  #health: NodeJS.Timeout | undefined;
  #listeners = new Listeners();
  #handlers = new Map<string, (data: any, from: ClusterWorkerEvent) => unknown>();
  /** Reloads and scalings run one after the other on this chain. */
  #ops: Promise<unknown> = Promise.resolve();
  #queuedReload: Promise<void> | undefined;
  #closing: Promise<CloseResult> | undefined;
  #workerHost: WorkerProcessHost;
  #output: WorkerOutput | undefined;
  #control: ControlServer | undefined;
  #metrics: ClusterMetrics | undefined;
  /** The supervisor's own log: the logger, and the ring `spindle logs` reads. */
  #log: (line: string) => void;

  /** Use `supervise()`. */
  private constructor(settings: Settings) {
    super();
    this.#settings = settings;
    if (settings.pipe) {
      this.#output = new WorkerOutput({
        format: settings.logFormat,
        time: settings.logTime,
        prefix: settings.logPrefix,
      });
    }
    const output = this.#output;
    this.#log = output
      ? (line) => {
          output.flush(); // the workers' lines read before this one are printed before it
          settings.log(line);
          output.supervisorLine(line);
        }
      : settings.log;
    const sup = this;
    const slotHost: SlotHost = {
      settings,
      get closing() {
        return sup.#state === 'closing' || sup.#state === 'closed';
      },
      spawn: (slot) => {
        const w = new WorkerProcess(slot.id, this.#settings, this.#workerHost);
        this.#slots.own(w, slot);
        return w;
      },
      log: this.#log,
      emit: (event, payload) => {
        if (event === 'workerExit' && !(payload as ClusterWorkerExitEvent).expected) this.#counts.crashes++;
        return this.emit(event as 'workerReady', payload as ClusterWorkerEvent);
      },
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
      exit: (w, exit) => this.#slots.ownerOf(w)?.exited(w, exit),
      output: (w) => output?.attach(w.id, w.pid, w.worker.process.stdout, w.worker.process.stderr),
    };
    this.#slots = new SlotSet(slotHost, settings.workers);
    if (settings.sticky) {
      this.#balancer = new StickyBalancer(settings.sticky, () => {
        const out = new Map();
        for (const slot of this.#slots.active)
          if (slot.current?.state === 'ready') out.set(slot.id, slot.current.worker);
        return out;
      });
    }
  }

  /** Use `supervise()`. */
  static async start<P extends ClusterProtocol>(options: SuperviseOptions): Promise<Supervisor<P>> {
    const settings = normalize(options);
    const sup = new Supervisor<P>(settings);
    // The name is claimed before any worker starts: a name in use fails fast and starts nothing.
    if (settings.name !== undefined) sup.#control = await ControlServer.open(settings.name, sup.controlTarget());
    await sup.#start();
    return sup;
  }

  async #start(): Promise<void> {
    const { workers } = this.#settings;
    const results = await Promise.allSettled(this.#slots.active.map((s) => s.start()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.close();
      const err = new ClusterStartFailedError(failed.reason as ClusterWorkerNotReadyError);
      this.#log(err.message);
      throw err;
    }
    this.#state = 'running';
    this.#startHealth();
    this.#log(`${plural(workers, 'worker')} ready (pids ${this.#slots.active.map((s) => s.current?.pid).join(', ')})`);
  }

  /** A snapshot of every slot, in id order (1 … workers). */
  get workers(): ClusterWorkerInfo[] {
    return this.#slots.active.map((s) => s.info);
  }

  /** The control name, or undefined. */
  get name(): string | undefined {
    return this.#settings.name;
  }

  /** The control socket's path while it is open (with a `name`), else undefined. */
  get controlSocket(): string | undefined {
    return this.#control && !this.#control.closing ? this.#control.path : undefined;
  }

  /**
   * The one snapshot of this supervisor: its state, counters and every
   * worker with its last stats. The control socket's `status`, and the
   * metrics and dashboard built on it, read this and nothing else.
   */
  status(): SupervisorStatus {
    const now = Date.now();
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      name: this.#settings.name ?? null,
      kind: 'start',
      pid: process.pid,
      state: this.#state,
      startedAt: this.#startedAt,
      uptime: now - this.#startedAt,
      ready: this.#slots.active.filter((s) => s.state === 'ready').length,
      wanted: this.#slots.active.length,
      restarts: this.#slots.restarts,
      script: this.#settings.script,
      reloads: { ok: this.#counts.reloadsOk, failed: this.#counts.reloadsFailed },
      crashes: this.#counts.crashes,
      supervisor: { rss: memory.rss, heapUsed: memory.heapUsed, cpuSeconds: (cpu.user + cpu.system) / 1e6 },
      workers: this.#slots.status(now),
    };
  }

  /**
   * Every metric of this supervisor in the Prometheus text format: its own,
   * each worker's stats, the pools and queues in the workers and the app's
   * prom-client metrics aggregated over workers (docs/observability.md).
   * What `--admin` serves at /metrics.
   */
  metrics(): Promise<string> {
    this.#metrics ??= new ClusterMetrics({
      status: () => this.status(),
      script: this.#settings.script,
      live: () =>
        this.#slots.all.flatMap((slot) =>
          slot.live
            .filter((h) => h.state === 'ready' || h.state === 'draining')
            .map((h) => ({
              id: slot.id,
              pid: h.pid,
              ask: (timeout: number) =>
                h.pending.request(METRICS_TOPIC, null, timeout, (m) => h.post(m)) as Promise<WorkerMetricsReply>,
            })),
        ),
    });
    return this.#metrics.text();
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
      for (const slot of this.#slots.active) {
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
    const slot = this.#slots.ownerOf(h);
    if (slot && this.#slots.inService(slot) && h.overMemory >= 2 && slot.current === h && !slot.incoming) {
      this.#unhealthy(slot, h, 'memory', `rss ${formatBytes(h.rss)} is above the limit of ${formatBytes(max)}`);
    }
  }

  #unhealthy(slot: Slot, h: WorkerProcess, reason: 'heartbeat' | 'memory', detail: string): void {
    if (this.#state !== 'running') return;
    h.unhealthy = true;
    this.#log(`worker ${slot.id} (pid ${h.pid}) is unhealthy: ${detail}; replacing it`);
    this.emit('workerUnhealthy', { id: slot.id, pid: h.pid, reason, detail });
    slot.replace('unhealthy').catch((err: Error) => {
      this.#log(`could not replace unhealthy worker ${slot.id}: ${err.message}; it keeps serving for now`);
      // Try again later rather than in a tight loop of failing starts.
      setTimeout(() => (h.unhealthy = false), this.#settings.readyTimeout).unref();
    });
  }

  // ---- reload
  /**
   * Zero-downtime rolling reload, one slot at a time; each new worker runs the
   * script as it is on disk now. Rejects with ERR_CLUSTER_RELOAD_FAILED, and
   * stops the rollout, when a new worker does not become ready. A reload asked
   * for while one runs is queued (several requests share one queued reload);
   * reloads and scale() run one after the other.
   */
  reload(): Promise<void> {
    if (this.#state !== 'running') return Promise.reject(new ClusterClosedError('reload'));
    if (this.#queuedReload) return this.#queuedReload;
    const run: Promise<void> = this.#queue(() => this.#rollout(run));
    this.#queuedReload = run;
    return run;
  }

  /** Runs `op` after every reload and scale asked for before it. */
  #queue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#ops.then(op, op);
    this.#ops = run.catch(() => {});
    return run;
  }

  async #rollout(run: Promise<void>): Promise<void> {
    if (this.#queuedReload === run) this.#queuedReload = undefined;
    if (this.#state !== 'running') throw new ClusterClosedError('reload');
    const slots = [...this.#slots.active];
    this.#log(`reloading ${plural(slots.length, 'worker')}, one at a time`);
    this.emit('reloadStart');
    for (const slot of slots) {
      try {
        await slot.replace('reload');
      } catch (err) {
        if (this.#state !== 'running') throw new ClusterClosedError('finish the reload');
        const e = new ClusterReloadFailedError(err as ClusterWorkerNotReadyError);
        this.#counts.reloadsFailed++;
        this.#log(e.message);
        this.emit('reloadFailed', e);
        throw e;
      }
      if (this.#state !== 'running') throw new ClusterClosedError('finish the reload');
    }
    this.#counts.reloadsOk++;
    this.#log('reload complete');
    this.emit('reloadDone');
  }

  // ---- scale
  /**
   * Changes the number of workers without a restart: `n` (1 … 1024), 'auto'
   * (the CPUs this process may use) or `{ by: ±k }`. New slots (ids after the
   * last) take traffic once ready; removed slots (the highest ids) drain like
   * a reload's old workers, then go. Scaling up is all or nothing: if a new
   * worker does not become ready, the new ones are drained again and it
   * rejects with ERR_CLUSTER_SCALE_FAILED. Runs after any reload or scale
   * asked for before it; a bad value rejects with ERR_INVALID_OPTION.
   */
  scale(workers: number | 'auto' | { by: number }): Promise<ScaleResult> {
    if (this.#state !== 'running') return Promise.reject(new ClusterClosedError('scale'));
    let target: () => number;
    try {
      if (workers !== null && typeof workers === 'object') {
        const by = readOptions('workers', workers)?.by;
        if (typeof by !== 'number' || !Number.isInteger(by) || by === 0 || Math.abs(by) > MAX_WORKERS)
          throw invalid('workers.by', `a non-zero integer (at most ${MAX_WORKERS} either way)`, by);
        target = () => {
          const n = this.#slots.active.length + by;
          if (n < 1 || n > MAX_WORKERS)
            throw invalid(
              'workers.by',
              `a change that leaves 1 to ${MAX_WORKERS} workers (now ${this.#slots.active.length})`,
              by,
            );
          return n;
        };
      } else {
        const n = workerCount('workers', workers, availableCpus);
        target = () => n;
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#queue(async () => {
      if (this.#state !== 'running') throw new ClusterClosedError('scale');
      return this.#scaleTo(target());
    });
  }

  async #scaleTo(n: number): Promise<ScaleResult> {
    const previous = this.#slots.active.length;
    const result: ScaleResult = { workers: n, previous, started: [], stopped: [] };
    if (n === previous) return result;
    const forget = (id: number) => this.#output?.forget(id);
    if (n > previous) {
      this.#log(`scaling up from ${previous} to ${plural(n, 'worker')}`);
      const { added, error } = await this.#slots.grow(n - previous);
      if (this.#state !== 'running') throw new ClusterClosedError('finish scaling');
      if (error) {
        // All or nothing: the new ones that did start drain again.
        await this.#slots.retire(added, Date.now() + this.#settings.grace, forget);
        const e = new ClusterScaleFailedError(error, n, previous);
        this.#log(e.message);
        throw e;
      }
      result.started = added.map((s) => s.id);
    } else {
      const removed = this.#slots.active.slice(n);
      this.#log(
        `scaling down from ${previous} to ${plural(n, 'worker')} (draining ${removed.map((s) => s.id).join(', ')})`,
      );
      await this.#slots.retire(removed, Date.now() + this.#settings.grace, forget);
      result.stopped = removed.map((s) => s.id);
    }
    this.#log(`${plural(this.#slots.active.length, 'worker')} now`);
    this.emit('scale', result);
    return result;
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
    for (const slot of this.#slots.all) slot.terminate();
    await closing;
  }

  async #close(grace: number): Promise<CloseResult> {
    this.#state = 'closing';
    clearInterval(this.#health);
    const all = this.#slots.all;
    const live = all.reduce((n, s) => n + s.live.length, 0);
    if (live > 0) this.#log(`stopping ${plural(live, 'worker')} (grace ${formatDuration(grace)})`);
    this.emit('closing');
    this.#balancer?.close();
    const deadline = Date.now() + grace;
    const forced = await Promise.all(all.map((s) => s.stop(deadline)));
    const result: CloseResult = {
      clean: forced.every((f) => !f),
      forced: [...new Set(all.filter((_, i) => forced[i]).map((s) => s.id))].sort((a, b) => a - b),
    };
    this.#state = 'closed';
    if (live > 0)
      this.#log(result.clean ? 'stopped cleanly' : `stopped; worker(s) ${result.forced.join(', ')} had to be killed`);
    // The socket goes now; a `spindle stop` waiting on this close gets its reply first.
    void this.#control?.close();
    // Workers' last lines may still arrive after their exit: written at the next turn, or at process exit.
    setImmediate(() => this.#output?.dispose());
    this.emit('closed', result);
    return result;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- control plane
  /**
   * What the control socket (and the admin listener of `--admin`) serves:
   * calls on this supervisor and views of its one status.
   */
  controlTarget(): ControlTarget {
    return {
      kind: 'start',
      status: () => this.status(),
      reload: async () => {
        await this.reload();
        return { workers: this.#slots.active.map((s) => ({ id: s.id, pid: s.current?.pid ?? null })) };
      },
      scale: (request) => this.scale('by' in request ? { by: request.by } : request.workers),
      stop: async (grace) => {
        const result = await this.close(grace === undefined ? undefined : { grace });
        return { exitCode: result.clean ? 0 : 1, ...result };
      },
      tail: (n, worker) => this.#output?.tail(n, worker) ?? [],
      follow: (fn, worker) => this.#output?.follow(fn, worker) ?? (() => {}),
    };
  }

  // ---- typed messages
  /** The worker serving slot `id`, for sending `topic` (both checked first: they are the caller's values). */
  #serving(id: number, topic: string, what: string): WorkerProcess {
    const slots = this.#slots.active;
    if (!Number.isInteger(id) || id < 1 || id > slots.length) {
      throw invalid('id', `a worker id from 1 to ${slots.length}`, id);
    }
    checkTopic(topic);
    if (this.#state === 'closing' || this.#state === 'closed')
      throw new ClusterClosedError(`send ${what} '${topic}' to worker ${id}`);
    const h = slots[id - 1]!.current;
    if (!h?.worker.isConnected()) throw new ClusterPeerGoneError(`Worker ${id} has no running process right now`);
    return h;
  }

  /** Sends a message to every serving worker; returns how many it was sent to. */
  broadcast<T extends keyof ToWorker<P> & string>(topic: T, data: ToWorker<P>[T]): number {
    checkTopic(topic);
    let n = 0;
    for (const slot of this.#slots.active) if (slot.current?.post({ $spindle: 'msg', topic, data })) n++;
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
