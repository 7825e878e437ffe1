// The settings a supervisor hands its workers, through one environment
// variable so that they are there before any module of the app runs.

export const CONFIG_ENV = 'SPINDLE_CLUSTER';
export const ID_ENV = 'SPINDLE_WORKER_ID';
/** Where the worker runtime publishes itself, so any copy of spindle in the app finds it. */
export const RUNTIME_KEY = Symbol.for('spindle.cluster.runtime');

export interface WorkerConfig {
  /** Slot id, from 1. */
  id: number;
  /** Hold `listen()` on a fixed port and take connections from the primary instead. */
  sticky: boolean;
  /** Only `ready()` counts as ready (not the first `listening`). */
  waitReady: boolean;
  /** Heartbeat period in ms; 0 = no heartbeat. */
  beat: number;
  /** Stats period in ms (app/stats.ts); 0 = no stats. */
  stats: number;
  /** Hold fixed-port listens until admitted (waitReady or probe, or sticky). */
  hold: boolean;
  /** The primary's private socket directory, where held servers listen (when `hold`). */
  sockets?: string;
}

/** Reads the config from the environment, or undefined outside a supervised worker. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig | undefined {
  const raw = env[CONFIG_ENV];
  if (!raw) return undefined;
  try {
    const c = JSON.parse(raw) as WorkerConfig;
    return typeof c.id === 'number' ? c : undefined;
  } catch {
    return undefined;
  }
}
