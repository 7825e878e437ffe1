// Validates supervise() options once, into the settings the rest of the
// supervisor reads. Every error names the option, what was expected and what
// was received.

import { parseBytes } from '../util/bytes.js';
import { availableCpus } from '../util/cpus.js';
import { optionalDuration, parseDuration } from '../util/duration.js';
import { checkObject, checkOneOf, invalid } from '../util/validate.js';
import type { BackoffSettings } from './backoff.js';
import { resolveScript, workerExecArgv } from './entry.js';
import { parseSticky, type StickyKey } from './sticky/key.js';
import type { SuperviseOptions } from './types.js';

export interface Settings {
  script: string;
  args: string[];
  workers: number;
  execArgv: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  grace: number;
  killTimeout: number;
  readyTimeout: number;
  waitReady: boolean;
  probe: { path: string; timeout: number } | undefined;
  sticky: StickyKey | undefined;
  heartbeat: { interval: number; timeout: number } | undefined;
  maxMemory: number | undefined;
  restart: BackoffSettings;
  logPrefix: boolean;
  log: (line: string) => void;
  serialization: 'json' | 'advanced';
}

const KNOWN = [
  'script',
  'args',
  'workers',
  'execArgv',
  'env',
  'cwd',
  'grace',
  'killTimeout',
  'readyTimeout',
  'waitReady',
  'probe',
  'sticky',
  'heartbeat',
  'maxMemory',
  'restart',
  'logPrefix',
  'logger',
  'serialization',
];

function stringArray(option: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw invalid(option, 'an array of strings', value);
  return [...value];
}

function bool(option: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw invalid(option, 'a boolean', value);
  return value;
}

/** The number of workers 'auto' or N asks for. */
export function workerCount(option: string, value: unknown): number {
  if (value === undefined || value === 'auto') return availableCpus();
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value;
  throw invalid(option, "a positive integer or 'auto'", value);
}

function heartbeat(value: unknown): Settings['heartbeat'] {
  if (value === undefined || value === false) return undefined;
  if (typeof value === 'number' || typeof value === 'string') {
    const timeout = parseDuration('heartbeat', value);
    return { timeout, interval: Math.max(10, Math.round(timeout / 3)) };
  }
  const o = checkObject('heartbeat', value)!;
  const timeout = parseDuration('heartbeat.timeout', o.timeout);
  const interval = optionalDuration('heartbeat.interval', o.interval, Math.max(10, Math.round(timeout / 3)));
  if (interval <= 0 || interval >= timeout) {
    throw invalid('heartbeat.interval', `a duration above 0 and below heartbeat.timeout (${timeout} ms)`, o.interval);
  }
  return { timeout, interval };
}

function probe(value: unknown): Settings['probe'] {
  if (value === undefined || value === false) return undefined;
  const o = typeof value === 'string' ? { path: value } : checkObject('probe', value)!;
  if (typeof o.path !== 'string' || !o.path.startsWith('/'))
    throw invalid('probe.path', "a path starting with '/'", o.path);
  return { path: o.path, timeout: optionalDuration('probe.timeout', o.timeout, 5000) };
}

function restart(value: unknown): BackoffSettings {
  const o = checkObject('restart', value) ?? {};
  const minDelay = optionalDuration('restart.minDelay', o.minDelay, 100);
  const maxDelay = optionalDuration('restart.maxDelay', o.maxDelay, 30_000);
  if (maxDelay < minDelay)
    throw invalid('restart.maxDelay', `a duration >= restart.minDelay (${minDelay} ms)`, o.maxDelay);
  const maxCrashes = o.maxCrashes ?? 5;
  if (typeof maxCrashes !== 'number' || !Number.isInteger(maxCrashes) || maxCrashes < 1) {
    throw invalid('restart.maxCrashes', 'a positive integer', maxCrashes);
  }
  return {
    minDelay,
    maxDelay,
    stableAfter: optionalDuration('restart.stableAfter', o.stableAfter, 30_000),
    maxCrashes,
  };
}

function logger(value: unknown): (line: string) => void {
  if (value === undefined) return (line) => process.stderr.write(`[spindle] ${line}\n`);
  if (value === false) return () => {};
  if (typeof value !== 'function') throw invalid('logger', 'a function or false', value);
  return value as (line: string) => void;
}

/** Checks every option and fills in defaults. */
export function normalize(options: SuperviseOptions): Settings {
  const o = checkObject('options', options);
  if (!o) throw invalid('options', 'an object with at least `script`', options);
  const unknown = Object.keys(o).filter((k) => !KNOWN.includes(k));
  if (unknown.length)
    throw invalid(`options.${unknown[0]}`, `one of the known options (${KNOWN.join(', ')})`, o[unknown[0]!]);
  const cwd = o.cwd === undefined ? process.cwd() : o.cwd;
  if (typeof cwd !== 'string') throw invalid('cwd', 'a directory path', cwd);
  const script = resolveScript(o.script, cwd);
  const env = checkObject('env', o.env) ?? {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && typeof v !== 'string') throw invalid(`env.${k}`, 'a string', v);
  }
  const extra = stringArray('execArgv', o.execArgv);
  return {
    script,
    args: stringArray('args', o.args),
    workers: workerCount('workers', o.workers),
    execArgv: workerExecArgv(script, cwd, extra),
    env: env as Record<string, string | undefined>,
    cwd,
    grace: optionalDuration('grace', o.grace, 10_000),
    killTimeout: optionalDuration('killTimeout', o.killTimeout, 5000),
    readyTimeout: optionalDuration('readyTimeout', o.readyTimeout, 30_000),
    waitReady: bool('waitReady', o.waitReady),
    probe: probe(o.probe),
    sticky: o.sticky === undefined ? undefined : parseSticky('sticky', o.sticky),
    heartbeat: heartbeat(o.heartbeat),
    maxMemory: o.maxMemory === undefined ? undefined : parseBytes('maxMemory', o.maxMemory),
    restart: restart(o.restart),
    logPrefix: bool('logPrefix', o.logPrefix),
    log: logger(o.logger),
    serialization:
      o.serialization === undefined ? 'json' : checkOneOf('serialization', o.serialization, ['json', 'advanced']),
  };
}
