// What an app running under the supervisor imports from 'spindle/cluster'.
// Everything here works outside a supervisor too (plain `node app.js`):
// ready() does nothing, onShutdown() hooks never run, workerId is undefined.
import { ClusterContextError } from '../../errors/index.js';
import { optionalDuration } from '../../util/duration.js';
import { invalid, readOptions } from '../../util/validate.js';
import type {
  ClusterProtocol,
  PrimaryRequests,
  RequestData,
  RequestOptions,
  RequestReply,
  ToPrimary,
  ToWorker,
  WorkerRequests,
} from '../types.js';
import { ID_ENV, RUNTIME_KEY } from './config.js';
import type { ShutdownHook, WorkerRuntime } from './runtime.js';

export type { ShutdownHook, ShutdownInfo } from './runtime.js';

function runtime(): WorkerRuntime | undefined {
  return (globalThis as Record<symbol, WorkerRuntime | undefined>)[RUNTIME_KEY];
}

function envId(): number | undefined {
  const raw = process.env[ID_ENV];
  return raw !== undefined && /^[1-9]\d{0,5}$/.test(raw) ? Number(raw) : undefined;
}

/**
 * This worker's stable slot id (1 … workers; a restarted or reloaded worker
 * keeps it), or undefined when not run by the supervisor. Also set in worker
 * threads the process starts, through SPINDLE_WORKER_ID.
 */
export const workerId: number | undefined = runtime()?.id ?? envId();

/** True inside a process started by the supervisor. */
export const isSupervised: boolean = runtime() !== undefined;

/**
 * Tells the supervisor this worker may take traffic. Optional: by default the
 * first server that listens counts; with `waitReady` only this call does.
 */
export function ready(): void {
  runtime()?.ready();
}

/**
 * Registers drain work (close servers, end WebSockets, flush queues) to run
 * when the supervisor stops or replaces this worker. Hooks run one after the
 * other in registration order; returns a function that unregisters the hook.
 */
export function onShutdown(fn: ShutdownHook): () => void {
  if (typeof fn !== 'function') throw invalid('onShutdown(fn)', 'a function', fn);
  return runtime()?.onShutdown(fn) ?? (() => {});
}

/** The worker's end of the typed message channel to the primary. */
export interface PrimaryChannel<P extends ClusterProtocol = ClusterProtocol> {
  /** Sends a message to the primary (its `sup.onMessage(topic)` listeners). */
  send<T extends keyof ToPrimary<P> & string>(topic: T, data: ToPrimary<P>[T]): void;
  /** Asks the primary (its `sup.handle(topic)` handler) and resolves with the reply. */
  request<T extends keyof PrimaryRequests<P> & string>(
    topic: T,
    data: RequestData<PrimaryRequests<P>[T]>,
    options?: RequestOptions,
  ): Promise<RequestReply<PrimaryRequests<P>[T]>>;
  /** Listens for a topic the primary sends or broadcasts; returns an unsubscribe function. */
  on<T extends keyof ToWorker<P> & string>(topic: T, fn: (data: ToWorker<P>[T]) => void): () => void;
  /** Serves the primary's requests for a topic; the return value (or promise) is the reply. */
  handle<T extends keyof WorkerRequests<P> & string>(topic: T, fn: WorkerRequests<P>[T]): () => void;
}

function need(what: string): WorkerRuntime {
  const r = runtime();
  if (!r) throw new ClusterContextError(`Cannot ${what}: this process is not a worker run by spindle's supervisor`);
  return r;
}

function checkTopic(topic: unknown): void {
  if (typeof topic !== 'string' || topic === '') throw invalid('topic', 'a non-empty string', topic);
}

const channel: PrimaryChannel<any> = {
  send(topic, data) {
    checkTopic(topic);
    need(`send '${topic}'`).send(topic, data);
  },
  async request(topic, data, options) {
    checkTopic(topic);
    const timeout = optionalDuration('options.timeout', readOptions('options', options)?.timeout, 10_000);
    return need(`request '${topic}'`).request(topic, data, timeout) as Promise<any>;
  },
  on(topic, fn) {
    checkTopic(topic);
    if (typeof fn !== 'function') throw invalid('fn', 'a function', fn);
    return need(`listen for '${topic}'`).on(topic, fn);
  },
  handle(topic, fn) {
    checkTopic(topic);
    if (typeof fn !== 'function') throw invalid('fn', 'a function', fn);
    return need(`handle '${topic}'`).handle(topic, fn as (data: unknown) => unknown);
  },
};

/** The typed channel to the primary: `primary<MyProtocol>().request('config', null)`. */
export function primary<P extends ClusterProtocol = ClusterProtocol>(): PrimaryChannel<P> {
  return channel as PrimaryChannel<P>;
}
