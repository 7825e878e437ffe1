// What the control socket serves, and the one interface a long-lived object
// implements to be served (the cluster Supervisor now; the `spindle work`
// node next). The server knows nothing else about the object: every command
// is a call on this interface, every reply a value it returned.
import type { LogLine } from './log.js';

/** Which command runs the object: `spindle start` (a cluster supervisor) or `spindle work` (a queue node). */
export type ControlKind = 'start' | 'work';

/** The fields every status snapshot has, whatever its kind (what `spindle ls` shows). */
export interface ControlStatusCommon {
  /** The control name, or null for an object without one (a library supervisor started without `name`). */
  name: string | null;
  kind: ControlKind;
  /** The supervisor's (or node's) own process id. */
  pid: number;
  /** Its lifecycle state: 'starting', 'running', 'closing' or 'closed'. */
  state: string;
  /** When it started (ms since the epoch). */
  startedAt: number;
  /** Milliseconds since `startedAt`. */
  uptime: number;
  /** Workers serving now. */
  ready: number;
  /** Workers it is meant to run. */
  wanted: number;
  /** Worker starts after the first ones (crash restarts, reloads, replacements), since it started. */
  restarts: number;
}

/** How to scale: to a number of workers ('auto': the CPUs this process may use), or by a difference. */
export type ScaleRequest = { workers: number | 'auto' } | { by: number };

/** What a stop reports: the exit status the process ends with (0 = every worker drained in time). */
export interface StopResult {
  exitCode: number;
  clean: boolean;
  [key: string]: unknown;
}

/** The object a control socket serves. */
export interface ControlTarget {
  readonly kind: ControlKind;
  /** The one snapshot of its state; the socket's `status`, and later /status and /metrics, read only this. */
  status(): ControlStatusCommon;
  /** Replaces every worker without losing work; resolves a JSON-safe report, rejects with why not. */
  reload(): Promise<unknown>;
  /** Changes the number of workers; resolves a JSON-safe report. */
  scale(request: ScaleRequest): Promise<unknown>;
  /** Graceful stop (`close({ grace })`); resolves once stopped. */
  stop(grace: number | undefined): Promise<StopResult>;
  /** The last `lines` lines of output (of one worker, or all), oldest first. */
  tail(lines: number, worker: number | undefined): LogLine[];
  /** Calls `fn` for every new line (of one worker, or all); returns a function that stops it. */
  follow(fn: (line: LogLine) => void, worker: number | undefined): () => void;
}
