// The spindle runtime inside a supervised worker process. It is loaded with
// `--import` before the app's entry, publishes itself on globalThis (so any
// copy of spindle the app imports finds it), and speaks the IPC protocol with
// the supervisor: readiness, heartbeat, drain, sticky connections, messages.
import { ClusterContextError, ClusterPeerGoneError } from '../../errors/index.js';
import { toRemote } from '../../errors/remote.js';
import { METRICS_TOPIC } from '../../observe/topic.js';
import {
  type Dispatch,
  dispatch,
  isSpindleMessage,
  type ShutdownMessage,
  type ToPrimaryMessage,
  type ToWorkerMessage,
} from '../protocol.js';
import { Listeners, PendingRequests, serveRequest } from '../rpc.js';
import type { ShutdownReason } from '../types.js';
import { RUNTIME_KEY, type WorkerConfig } from './config.js';
import { Connections } from './connections.js';
import { Holder } from './hold.js';
import { patchListen } from './listen.js';
import { startStats } from './stats.js';

/** What an `onShutdown` hook is told. */
export interface ShutdownInfo {
  reason: ShutdownReason;
  /** Epoch ms at which the supervisor sends SIGTERM. */
  deadline: number;
  /** Aborts at the deadline. */
  signal: AbortSignal;
}
export type ShutdownHook = (info: ShutdownInfo) => unknown;

/** The API the app side (`spindle/cluster` in the worker) calls into. */
export interface WorkerRuntime {
  readonly id: number;
  readonly draining: boolean;
  ready(): void;
  onShutdown(fn: ShutdownHook): () => void;
  send(topic: string, data: unknown): void;
  request(topic: string, data: unknown, timeout: number): Promise<unknown>;
  on(topic: string, fn: (data: any) => void): () => void;
  handle(topic: string, fn: (data: any) => unknown): () => void;
}

function post(m: ToPrimaryMessage): boolean {
  if (!process.connected || !process.send) return false;
  process.send(m);
  return true;
}

/** Installs the runtime in this process (once) and returns it. */
export function installRuntime(config: WorkerConfig): WorkerRuntime {
  const existing = (globalThis as Record<symbol, WorkerRuntime | undefined>)[RUNTIME_KEY];
  if (existing) return existing;

  const connections = new Connections();
  const hooks = new Set<ShutdownHook>();
  const pending = new PendingRequests();
  const listeners = new Listeners();
  const handlers = new Map<string, (data: any) => unknown>();
  const internal = new Map<string, (data: any) => unknown>([
    [METRICS_TOPIC, () => import('../../observe/cluster.js').then((m) => m.workerMetrics(process.argv[1]))],
  ]);
  const holder = new Holder(config.sticky, post, config.sockets ?? '');
  let readyState: 'no' | 'sent' = 'no';
  let draining = false;
  let hooksDone = false;
  let disconnected = false;

  // ---- readiness: the first listen (unless waitReady) or ready()
  function wantReady(via: 'listening' | 'signal'): void {
    if (readyState !== 'no' || (via === 'listening' && config.waitReady)) return;
    readyState = 'sent';
    post({ $spindle: 'ready', held: holder.holding, ...(holder.probe ? { probe: holder.probe } : {}) });
  }
  async function admit(): Promise<void> {
    try {
      await holder.admit();
      post({ $spindle: 'admitted' });
    } catch (err) {
      post({ $spindle: 'admitted', error: toRemote(err, 'json') });
    }
  }

  // ---- drain: hooks, then wait for the IPC disconnect (servers closed) and the last connection
  function maybeExit(): void {
    if (!draining || !hooksDone || !disconnected || connections.sockets.size > 0) return;
    connections.dispose();
    process.exit();
  }
  async function shutdown(m: ShutdownMessage): Promise<void> {
    if (draining) return;
    draining = true;
    connections.drain(maybeExit);
    const signal = AbortSignal.timeout(Math.max(0, m.deadline - Date.now()));
    for (const hook of hooks) {
      try {
        await hook({ reason: m.reason, deadline: m.deadline, signal });
      } catch (err) {
        process.exitCode = 1;
        console.error('[spindle] an onShutdown hook failed:', err);
      }
    }
    hooksDone = true;
    maybeExit();
  }
  process.once('disconnect', () => {
    disconnected = true;
    pending.rejectAll((topic) => new ClusterPeerGoneError(`Request '${topic}' failed: the supervisor disconnected`));
    maybeExit();
  });

  const table: Dispatch<ToWorkerMessage, unknown> = {
    shutdown: (m) => void shutdown(m),
    admit: () => void admit(),
    conn: (m, handle) => holder.connection(m, handle),
    'sticky-listening': (m) => holder.stickyListening(m),
    msg: (m) => listeners.emit(m.topic, m.data),
    // The supervisor's metrics scrape has its own topic, answered here (never by an app's handler).
    req: (m) => void serveRequest(m.topic === METRICS_TOPIC ? internal : handlers, m, post),
    res: (m) => pending.answer(m),
  };
  const onMessage = (m: unknown, handle: unknown) => {
    if (isSpindleMessage(m)) dispatch(table, m as ToWorkerMessage, handle);
  };
  process.on('message', onMessage);

  patchListen({
    track(server) {
      connections.track(server);
      // After the listen's own 'listening' work (hold.ts notes the probe socket).
      server.once('listening', () => process.nextTick(wantReady, 'listening'));
    },
    ...(config.hold ? { hold: (server, target, listen) => holder.take(server, target, listen) } : {}),
  });

  if (config.beat > 0) {
    const beat = () => post({ $spindle: 'beat', rss: process.memoryUsage.rss() });
    setInterval(beat, config.beat).unref();
    beat();
  }
  if (config.stats > 0) startStats(post, config.stats);
  // Ctrl-C reaches the whole foreground process group; the supervisor turns it
  // into a graceful stop, so workers must not die of it on their own.
  process.on('SIGINT', () => {});

  const runtime: WorkerRuntime = {
    id: config.id,
    get draining() {
      return draining;
    },
    ready: () => wantReady('signal'),
    onShutdown(fn) {
      hooks.add(fn);
      return () => void hooks.delete(fn);
    },
    send(topic, data) {
      if (!post({ $spindle: 'msg', topic, data })) {
        throw new ClusterContextError(`Cannot send '${topic}': the supervisor is gone`);
      }
    },
    request: (topic, data, timeout) => pending.request(topic, data, timeout, post),
    on: (topic, fn) => listeners.on(topic, fn),
    handle(topic, fn) {
      handlers.set(topic, fn);
      return () => void handlers.delete(topic);
    },
  };
  (globalThis as Record<symbol, WorkerRuntime>)[RUNTIME_KEY] = runtime;
  return runtime;
}
