// What every `spindle` subcommand shares, so that each command is one small
// file: its flags (with their help), the --help text (always with examples),
// parsing, flag values checked by the library's own validators (one path:
// src/util/validate.ts, errors naming the flag), the log, exit codes, and the
// foreground loop of long-running commands (signals, launcher watch).

import { formatOwnLine } from '../control/log.js';
import { CliUsageError, SpindleError } from '../errors/index.js';
import { parseBytes } from '../util/bytes.js';
import { type DurationRule, parseDurationFlag } from '../util/duration.js';
import { redactUrls } from '../util/redact.js';
import { invalid, workerCount } from '../util/validate.js';
import { type Flags, parse } from './args.js';
import { watchLauncher } from './launcher.js';

/** One flag: its parseArgs type, the placeholder and the line shown by --help. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder of the value in --help, e.g. 'DURATION' or 'N|auto'. */
  value?: string;
  /** The flag may be given several times (its values are collected). */
  multiple?: boolean;
  /** --help shows the value as optional and attached: `--watch[=PATH]`. */
  optionalValue?: boolean;
  /** One line for --help (say the default). */
  help: string;
}

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Everything after `--`, untouched. */
  rest: string[];
}

export interface CommandSpec {
  name: string;
  /** One line for `spindle --help`. */
  summary: string;
  /** The usage line after `Usage: `, e.g. 'spindle start <script> [options] [-- app args]'. */
  usage: string;
  /** What it does, a few lines. */
  description: string;
  flags: Record<string, FlagSpec>;
  /** At least one: every --help shows how to use the command. */
  examples: [string, ...string[]];
  /** Extra help after the flags (units, signals). */
  notes?: string;
}

/** One subcommand as index.ts sees it. */
export interface Command {
  readonly spec: CommandSpec;
  /** Runs with the arguments after the command name; resolves the exit code. */
  run(argv: string[]): Promise<number>;
}

const HELP_FLAG: FlagSpec = { type: 'boolean', short: 'h', help: 'show this help' };

function allFlags(spec: CommandSpec): Record<string, FlagSpec> {
  return { ...spec.flags, help: HELP_FLAG };
}

/** Word-wraps `text` to `columns`, continuation lines indented by `indent` (--help fits 80 columns). */
function wrap(text: string, columns: number, indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > Math.max(columns, 20)) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** The --help text of a command. */
export function helpText(spec: CommandSpec): string {
  const rows = Object.entries(allFlags(spec)).map(([name, f]) => {
    const value = f.value ? (f.optionalValue ? `[=${f.value}]` : ` ${f.value}`) : '';
    const left = `${f.short ? `-${f.short}, ` : '    '}--${name}${value}`;
    return [left, f.help] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const flags = rows.map(([left, help]) => `  ${left.padEnd(width)}${wrap(help, 78 - width, width + 2)}`).join('\n');
  return `Usage: ${spec.usage}

${spec.description.trim()}

Options:
${flags}
${spec.notes ? `\n${spec.notes.trim()}\n` : ''}
Examples:
${spec.examples.map((e) => `  ${e}`).join('\n')}
`;
}

/** Parses `argv` against the command's flags; undefined means --help was asked for. */
export function parseCommand(spec: CommandSpec, argv: string[]): Parsed | undefined {
  const flags: Flags = Object.fromEntries(
    Object.entries(allFlags(spec)).map(([name, f]) => [
      name,
      { type: f.type, ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) },
    ]),
  );
  const parsed = parse(spec.name, argv, flags);
  return parsed.values.help ? undefined : parsed;
}

/** Builds a command whose --help comes from its spec. `run` gets the parsed arguments. */
export function defineCommand(spec: CommandSpec, run: (args: Parsed) => Promise<number>): Command {
  return {
    spec,
    async run(argv) {
      const args = parseCommand(spec, argv);
      if (!args) {
        process.stdout.write(helpText(spec));
        return 0;
      }
      return run(args);
    },
  };
}

// ---- flag values: each through the library's validator, the error naming the flag

/** The string value of a flag, or undefined when it was not given. */
export function text(args: Parsed, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A duration flag: the unit is required (`10s`), see parseDurationFlag. */
export function durationFlag(args: Parsed, name: string, rule?: DurationRule): number | undefined {
  const v = text(args, name);
  return v === undefined ? undefined : parseDurationFlag(`--${name}`, v, rule);
}

/** A size flag: `512M`, `1G`. */
export function sizeFlag(args: Parsed, name: string): number | undefined {
  const v = text(args, name);
  return v === undefined ? undefined : parseBytes(`--${name}`, v);
}

/** A number of workers: N or 'auto', with the one rule of src/util/validate.ts. */
export function workersFlag(args: Parsed, name = 'workers'): number | 'auto' | undefined {
  const v = text(args, name);
  if (v === undefined || v === 'auto') return v;
  const n = /^\d+$/.test(v) ? Number(v) : v;
  workerCount(`--${name}`, n, () => 1);
  return n as number;
}

/** A positive integer flag (decimal digits only). */
export function positiveIntegerFlag(args: Parsed, name: string): number | undefined {
  const v = text(args, name);
  if (v === undefined) return undefined;
  const n = /^\d{1,15}$/.test(v) ? Number(v) : Number.NaN;
  if (!(n >= 1)) throw invalid(`--${name}`, 'a positive integer', v);
  return n;
}

/** One of a fixed set of words. */
export function choiceFlag<T extends string>(args: Parsed, name: string, valid: readonly T[]): T | undefined {
  const v = text(args, name);
  if (v === undefined) return undefined;
  if ((valid as readonly string[]).includes(v)) return v as T;
  throw invalid(`--${name}`, `one of ${valid.map((x) => `'${x}'`).join(', ')}`, v);
}

/** The one positional a command needs, or a usage error saying what it is for. */
export function positional(args: Parsed, index: number, missing: string): string {
  const v = args.positionals[index];
  if (v === undefined || v === '') throw new CliUsageError(missing);
  return v;
}

// ---- output

/** Hides the credentials of every URL in a line before it is printed (docs/security.md). */
export const redactText: (line: string) => string = redactUrls;

/** Where log() writes a formatted line, and who keeps the line itself (`spindle logs`), when not plain stderr. */
export type LogSink = (formatted: string, line: string) => void;

let logFormat: { format: 'text' | 'json'; time: boolean; sink: LogSink | undefined } = {
  format: 'text',
  time: false,
  sink: undefined,
};

/** How `log()` prints: text (optionally with a time) or JSON lines (`--log-format`, `--log-time`), and where. */
export function configureLog(format: 'text' | 'json', time: boolean, sink?: LogSink): void {
  logFormat = { format, time, sink };
}

/** spindle's own log lines: stderr, `[spindle] ` prefix (or one JSON object), URLs redacted. */
export function log(line: string): void {
  const text = redactText(line);
  const formatted = formatOwnLine(text, logFormat.format, logFormat.time);
  if (logFormat.sink) logFormat.sink(formatted, text);
  else process.stderr.write(formatted);
}

/** Colour only on a terminal, and never with NO_COLOR (conventions rule 10). */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR;
}

const USAGE_CODES = new Set([
  'ERR_CLI_USAGE',
  'ERR_INVALID_OPTION',
  'ERR_CLUSTER_SCRIPT_NOT_FOUND',
  'ERR_WORKER_NOT_FOUND',
  'ERR_CONTROL_NAME_IN_USE',
]);

/** Exit code for an error: 2 for a usage error (bad flag, missing file), else 1. */
export function exitCodeOf(err: unknown): number {
  return err instanceof SpindleError && USAGE_CODES.has(err.code) ? 2 : 1;
}

/** Prints a failure the way every command does: spindle's errors by message, others with their stack. */
export function printError(err: unknown): void {
  const text = err instanceof SpindleError ? err.message : ((err as Error)?.stack ?? String(err));
  process.stderr.write(`spindle: ${redactText(text)}\n`);
}

// ---- long-running commands

/** A running service of a foreground command (`start`, `work`). */
export interface Service {
  /** Graceful stop; resolves the exit code. */
  stop(): Promise<number>;
  /** What SIGHUP does when `hangup` is 'reload'. */
  reload?(): void;
  /** Said when a second stop signal arrives while stopping. */
  patience: string;
  /** Resolves an exit code when the service ends on its own (no signal). */
  ended?: Promise<number>;
}

export interface ForegroundOptions {
  /** Keep running when the launcher that started us exits (--allow-orphan). */
  allowOrphan: boolean;
  /** What SIGHUP does: the service's reload(), or a graceful stop (a hangup). */
  hangup: 'reload' | 'stop';
}

/**
 * Runs a service in the foreground until SIGTERM/SIGINT (SIGHUP too when
 * `hangup` is 'stop'), or until the launcher that started it exits: resolves the exit
 * code. A stop asked for while `start` is still running is remembered and
 * carried out once the service is up. Rejects with start's error.
 */
export async function foreground(start: () => Promise<Service>, options: ForegroundOptions): Promise<number> {
  let service: Service | undefined;
  let pending: string | undefined;
  let stopping = false;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finish = resolve));
  const stop = (why: string) => {
    if (!service) {
      pending ??= why; // still starting: stop as soon as it is up
      return;
    }
    if (stopping) {
      log(`${why} again: ${service.patience}`);
      return;
    }
    stopping = true;
    log(`${why}: stopping`);
    service.stop().then(finish, (err: unknown) => {
      log(`stop failed: ${(err as Error)?.message ?? String(err)}`);
      finish(1);
    });
  };
  // Installed once and never removed: libuv delivers signals through the event
  // loop, and one that arrives while its listener is being swapped is lost.
  const onTerm = () => stop('SIGTERM received');
  const onInt = () => stop('SIGINT received');
  const onHup = () => {
    if (options.hangup === 'stop') stop('SIGHUP received');
    else if (service && !stopping) service.reload?.(); // during start-up or a stop there is nothing to reload
  };
  process.on('SIGTERM', onTerm).on('SIGINT', onInt).on('SIGHUP', onHup);
  const unwatch = watchLauncher((what) => {
    if (options.allowOrphan) log(`${what}; running on (--allow-orphan)`);
    else stop(`${what} (start with --allow-orphan to keep running without it)`);
  });
  try {
    service = await start();
  } catch (err) {
    unwatch();
    throw err;
  }
  if (pending) stop(pending);
  const code = await (service.ended ? Promise.race([done, service.ended]) : done);
  unwatch();
  return code;
}
