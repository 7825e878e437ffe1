// Validates supervise() options once, into the settings the rest of the
// supervisor reads. Every error names the option, what was expected and what
// was received (env values only by type: they may be secrets).

import { checkName } from '../control/dirs.js';
import { formatOwnLine } from '../control/log.js';
import { parseBytes } from '../util/bytes.js';
import { availableCpus } from '../util/cpus.js';
import { optionalDuration, parseDuration } from '../util/duration.js';
import { checkEnv, type EnvOption } from '../util/env.js';
import { knownOptions } from '../util/known.js';
import { toDirectory } from '../util/paths.js';
import {
  checkOneOf,
  invalid,
  invalidSecret,
  optionalBoolean,
  readOptions,
  stringArray,
  workerCount,
} from '../util/validate.js';
import type { BackoffSettings } from './backoff.js';
import { resolveScript, workerExecArgv } from './entry.js';
import { parseSticky, type StickyKey } from './sticky/key.js';
import type { SuperviseOptions } from './types.js';

export interface Settings {
  script: string;
  args: string[];
  workers: number;
  execArgv: string[];
  env: EnvOption | undefined;
  extendEnv: boolean;
  cwd: string;
  grace: number;
  killGrace: number;
  readyTimeout: number;
  waitReady: boolean;
  probe: { path: string; timeout: number } | undefined;
  sticky: StickyKey | undefined;
  heartbeat: { interval: number; timeout: number } | undefined;
  maxMemory: number | undefined;
  restart: BackoffSettings;
  name: string | undefined;
  logPrefix: boolean;
  logFormat: 'text' | 'json';
  logTime: boolean;
  /** Workers' output is piped through the supervisor (name, prefix, time or JSON), else inherited. */
  pipe: boolean;
  /** How often workers report their stats (ms). */
  statsInterval: number;
  log: (line: string) => void;
  serialization: 'json' | 'advanced';
}

/** Workers report their stats this often (ms): often enough for a live view, rare enough to cost nothing. */
export const STATS_INTERVAL = 1000;

const KNOWN = new Set([
  'script',
  'args',
  'workers',
  'execArgv',
  'env',
  'extendEnv',
  'cwd',
  'grace',
  'killGrace',
  'readyTimeout',
  'waitReady',
  'probe',
  'sticky',
  'heartbeat',
  'maxMemory',
  'restart',
  'name',
  'logPrefix',
  'logFormat',
  'logTime',
  'logger',
  'serialization',
]);

/** A heartbeat shorter than this would take GC pauses for a blocked event loop. */
export const MIN_HEARTBEAT = 100;

function heartbeat(value: unknown): Settings['heartbeat'] {
  if (value === undefined || value === false) return undefined;
  const rule = { min: MIN_HEARTBEAT };
  if (typeof value === 'number' || typeof value === 'string') {
    const timeout = parseDuration('heartbeat', value, rule);
    return { timeout, interval: Math.round(timeout / 3) };
  }
  const o = readOptions('heartbeat', value)!;
  const timeout = parseDuration('heartbeat.timeout', o.timeout, rule);
  const interval = optionalDuration('heartbeat.interval', o.interval, Math.round(timeout / 3));
  if (interval <= 0 || interval >= timeout) {
    throw invalid('heartbeat.interval', `a duration above 0 and below heartbeat.timeout (${timeout} ms)`, o.interval);
  }
  return { timeout, interval };
}

/** The path of the HTTP probe (also the CLI's `--probe`). */
export function probePath(option: string, value: unknown): string {
  if (typeof value !== 'string' || !/^\/[\x21-\x7e]*$/.test(value))
    throw invalid(option, "a path starting with '/' (printable ASCII, no spaces)", value);
  return value;
}

function probe(value: unknown): Settings['probe'] {
  if (value === undefined || value === false) return undefined;
  if (typeof value === 'string') return { path: probePath('probe', value), timeout: 5000 };
  const o = readOptions('probe', value)!;
  return {
    path: probePath('probe.path', o.path),
    timeout: optionalDuration('probe.timeout', o.timeout, 5000, { min: 1 }),
  };
}

function restart(value: unknown): BackoffSettings {
  const o = readOptions('restart', value) ?? {};
  const minDelay = optionalDuration('restart.minDelay', o.minDelay, 100);
  const maxDelay = optionalDuration('restart.maxDelay', o.maxDelay, 30_000);
  if (maxDelay < minDelay)
    throw invalid('restart.maxDelay', `a duration >= restart.minDelay (${minDelay} ms)`, o.maxDelay);
  const maxCrashes = o.maxCrashes ?? 5;
  if (typeof maxCrashes !== 'number' || !Number.isSafeInteger(maxCrashes) || maxCrashes < 1) {
    throw invalid('restart.maxCrashes', 'a positive integer', maxCrashes);
  }
  return {
    minDelay,
    maxDelay,
    stableAfter: optionalDuration('restart.stableAfter', o.stableAfter, 30_000),
    maxCrashes,
  };
}

function logger(value: unknown, format: 'text' | 'json', time: boolean): (line: string) => void {
  if (value === undefined) return (line) => process.stderr.write(formatOwnLine(line, format, time));
  if (value === false) return () => {};
  if (typeof value !== 'function') throw invalid('logger', 'a function or false', value);
  const fn = value as (line: string) => void;
  // The user's logger must not break the supervisor (it logs from timers and exit handlers).
  return (line) => {
    try {
      fn(line);
    } catch (err) {
      process.emitWarning(`spindle: the cluster logger threw: ${(err as Error)?.message ?? String(err)}`);
    }
  };
}

function env(value: unknown, extendEnv: unknown): { env: EnvOption | undefined; extendEnv: boolean } {
  const checked = checkEnv(readOptions('env', value), extendEnv);
  for (const [k, v] of Object.entries(checked.env ?? {})) {
    if (k === '' || k.includes('=') || k.includes('\0'))
      throw invalid('env', "variable names that are not empty and have no '=' or NUL", k);
    if (v?.includes('\0')) throw invalidSecret(`env.${k}`, 'a string without NUL bytes', v);
  }
  return checked;
}

/** Checks every option and fills in defaults. */
export function normalize(options: SuperviseOptions): Settings {
  const o = knownOptions('options', options, KNOWN);
  if (!o) throw invalid('options', 'an object with at least `script`', options);
  const cwd = o.cwd === undefined ? process.cwd() : toDirectory('cwd', o.cwd);
  const script = resolveScript(o.script, cwd);
  const extra = stringArray('execArgv', o.execArgv);
  const name = o.name === undefined ? undefined : checkName('name', o.name);
  const logPrefix = optionalBoolean('logPrefix', o.logPrefix, false);
  const logFormat = o.logFormat === undefined ? 'text' : checkOneOf('logFormat', o.logFormat, ['text', 'json']);
  const logTime = optionalBoolean('logTime', o.logTime, false);
  return {
    script,
    args: stringArray('args', o.args),
    workers: workerCount('workers', o.workers, availableCpus),
    execArgv: workerExecArgv(script, cwd, extra),
    ...env(o.env, o.extendEnv),
    cwd,
    grace: optionalDuration('grace', o.grace, 10_000),
    killGrace: optionalDuration('killGrace', o.killGrace, 5000),
    readyTimeout: optionalDuration('readyTimeout', o.readyTimeout, 30_000),
    waitReady: optionalBoolean('waitReady', o.waitReady, false),
    probe: probe(o.probe),
    sticky: o.sticky === undefined ? undefined : parseSticky('sticky', o.sticky),
    heartbeat: heartbeat(o.heartbeat),
    maxMemory: o.maxMemory === undefined ? undefined : parseBytes('maxMemory', o.maxMemory),
    restart: restart(o.restart),
    name,
    logPrefix,
    logFormat,
    logTime,
    pipe: name !== undefined || logPrefix || logTime || logFormat === 'json',
    statsInterval: STATS_INTERVAL,
    log: logger(o.logger, logFormat, logTime),
    serialization:
      o.serialization === undefined ? 'json' : checkOneOf('serialization', o.serialization, ['json', 'advanced']),
  };
}
