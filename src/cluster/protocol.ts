// Every IPC message between the supervisor and a worker's spindle runtime, as
// one tagged union. Each carries `$spindle` (the kind) so it can never be
// confused with the app's own `process.send()` messages; both sides dispatch
// through a table keyed by kind.

import type { SourcesSummary } from '../dashboard/summary.js';
import type { RemoteError, RemoteThrown } from '../errors/remote.js';
import type { ShutdownReason } from './types.js';

/** Errors cross the IPC boundary as records of errors/remote.ts (JSON-safe). */
export type WireError = RemoteError | RemoteThrown;

/** Topic message in either direction. */
export interface MsgMessage {
  $spindle: 'msg';
  topic: string;
  data: unknown;
}
/** Request in either direction; answered by a `res` with the same id. */
export interface ReqMessage {
  $spindle: 'req';
  id: number;
  topic: string;
  data: unknown;
}
export interface ResMessage {
  $spindle: 'res';
  id: number;
  ok: boolean;
  data?: unknown;
  error?: WireError;
}

// ---- worker → primary
/** The worker is ready: its first server listens, or the app called ready(). */
export interface ReadyMessage {
  $spindle: 'ready';
  /** Private Unix socket of the app's first held server, for the HTTP probe (see sockets.ts). */
  probe?: string;
  /** Listens were held back (waitReady/probe, round robin): the worker waits for `admit`. */
  held: boolean;
}
/** Answer to `admit`: the held servers now take connections from the shared port (or could not). */
export interface AdmittedMessage {
  $spindle: 'admitted';
  error?: WireError;
}
/** Heartbeat: the event loop is alive; carries memory use. */
export interface BeatMessage {
  $spindle: 'beat';
  rss: number;
}
/**
 * Per-worker figures, once per stats interval (app/stats.ts): memory in
 * bytes, CPU in percent of one core over the interval and in seconds since
 * the worker started, event-loop delay in ms over the interval, event-loop
 * utilisation (0 … 1) over the interval.
 */
export interface StatsMessage {
  $spindle: 'stats';
  rss: number;
  heapUsed: number;
  cpu: number;
  cpuSeconds: number;
  delayP50: number;
  delayP99: number;
  delayMax: number;
  elu: number;
  /** The pools and queues of the worker process (dashboard/summary.ts), when it has any. */
  sources?: SourcesSummary;
}
/** Sticky mode: the app wants connections for this address (the primary binds it). */
export interface StickyListenMessage {
  $spindle: 'sticky-listen';
  id: number;
  host: string | undefined;
  port: number;
  backlog: number | undefined;
}

// ---- primary → worker
/** Start draining: run onShutdown hooks, finish in-flight requests. A cluster disconnect follows. */
export interface ShutdownMessage {
  $spindle: 'shutdown';
  reason: ShutdownReason;
  /** Epoch ms at which the supervisor escalates to SIGTERM. */
  deadline: number;
}
/** Sticky mode: a connection handed over with the bytes already read from it (base64). */
export interface ConnMessage {
  $spindle: 'conn';
  port: number;
  head: string;
}
/** The worker passed its checks: open the held servers to the shared port. */
export interface AdmitMessage {
  $spindle: 'admit';
}
/** Answer to `sticky-listen`. */
export interface StickyListeningMessage {
  $spindle: 'sticky-listening';
  id: number;
  error?: WireError;
}

export type ToPrimaryMessage =
  | ReadyMessage
  | AdmittedMessage
  | BeatMessage
  | StatsMessage
  | StickyListenMessage
  | MsgMessage
  | ReqMessage
  | ResMessage;
export type ToWorkerMessage =
  | ShutdownMessage
  | AdmitMessage
  | ConnMessage
  | StickyListeningMessage
  | MsgMessage
  | ReqMessage
  | ResMessage;

/** True when an IPC message is one of spindle's own. */
export function isSpindleMessage(m: unknown): m is { $spindle: string } {
  return typeof m === 'object' && m !== null && typeof (m as { $spindle?: unknown }).$spindle === 'string';
}

/**
 * One handler for every message kind of a direction: a table the compiler
 * checks is complete (a kind added to the union without a handler fails to
 * build). Kinds the table does not know (a newer peer, or an app's own
 * message that happens to carry `$spindle`) are ignored.
 */
export type Dispatch<M extends { $spindle: string }, C> = {
  readonly [K in M['$spindle']]: (message: Extract<M, { $spindle: K }>, context: C) => void;
};

/** Routes a message to its handler by kind (own keys only: '__proto__' or 'toString' are no kinds). */
export function dispatch<M extends { $spindle: string }, C>(table: Dispatch<M, C>, message: M, context: C): void {
  const kind = message.$spindle;
  if (!Object.hasOwn(table, kind)) return;
  (table[kind as M['$spindle']] as (m: M, c: C) => void)(message, context);
}
