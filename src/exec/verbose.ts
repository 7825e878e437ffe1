// `verbose`: one line per command when it starts and when it ends (its duration
// and how it ended), and with 'full' each line of its output, to stderr or to a
// function. Only the command line, output and outcome are logged: never the
// environment (a secret belongs in `env`, docs/security.md), never `input`.
import type { ChildProcess } from 'node:child_process';
import { writeSync } from 'node:fs';
import { LineSplitter } from '../util/lines.js';
import type { ExecResult, Output } from './result.js';

/** What a logger function receives: the start, each output line ('full' and functions), the end. */
export type ExecLogEntry =
  | { type: 'command'; id: number; command: string; time: Date }
  | { type: 'output'; id: number; command: string; from: 'stdout' | 'stderr'; line: string; time: Date }
  | { type: 'end'; id: number; command: string; result: ExecResult<Output>; time: Date };

/** A function given as `verbose`: receives every entry, output lines included. */
export type ExecLogger = (entry: ExecLogEntry) => void;

/** The `verbose` option: `true` is 'short'. */
export type Verbose = boolean | 'short' | 'full' | ExecLogger;

/** A normalized `verbose`: whether output lines are logged, and where entries go. */
export interface LogTarget {
  lines: boolean;
  write: ExecLogger;
  /** The command's id when the caller chose it (runSync's helper logs under the caller's sequence). */
  id?: number;
}

let lastId = 0;
/** Ids of logged commands, from 1, one sequence per thread (runSync's helper takes the caller's). */
export function nextLogId(): number {
  return ++lastId;
}

let toFd = false;
/** The runSync helper thread writes stderr itself: its `process.stderr` goes through the blocked caller. */
export function logToFd(): void {
  toFd = true;
}

function clock(t: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}.${p(t.getMilliseconds(), 3)}`;
}

function ms(n: number): string {
  return n < 10 ? `${n.toFixed(1)}ms` : `${Math.round(n)}ms`;
}

/** How a finished command is summed up in one line: its exit status, duration and, if it failed, why. */
function outcome(r: ExecResult<Output>): string {
  const status = r.exitCode !== null ? `exit ${r.exitCode}` : r.signal ? `killed by ${r.signal}` : 'not started';
  const e = r.error;
  return `${status} in ${ms(r.durationMs)}${e ? `: ${e.code} ${e.message.split('\n', 1)[0]}` : ''}`;
}

/** The line stderr gets for an entry: `[12:00:00.123] [3] $ git status`. */
export function formatLogEntry(entry: ExecLogEntry): string {
  const head = `[${clock(entry.time)}] [${entry.id}]`;
  switch (entry.type) {
    case 'command':
      return `${head} $ ${entry.command}`;
    case 'output':
      return `${head}   ${entry.from === 'stderr' ? '!' : ' '} ${entry.line}`;
    case 'end':
      return `${head} ${entry.result.failed ? '✘' : '✔'} ${outcome(entry.result)}`;
  }
}

function toStderr(entry: ExecLogEntry): void {
  const line = `${formatLogEntry(entry)}\n`;
  if (toFd) writeSync(2, line);
  else process.stderr.write(line);
}

/** The normalized `verbose`, or undefined when nothing is logged (the common case costs one check). */
export function logTarget(verbose: Verbose): LogTarget | undefined {
  if (verbose === false) return undefined;
  if (typeof verbose === 'function') {
    return {
      lines: true,
      write: (entry) => {
        try {
          verbose(entry);
        } catch (e) {
          // A logger that throws must not break the command it logs.
          process.emitWarning(`spindle/exec: the verbose function threw: ${e instanceof Error ? e.message : e}`);
        }
      },
    };
  }
  return { lines: verbose === 'full', write: toStderr };
}

/** `verbose: 'full'` (or a function): each line of the program's output becomes an entry. */
export function logOutput(
  child: ChildProcess,
  encoding: BufferEncoding | 'buffer',
  log: LogTarget,
  id: number,
  command: string,
): void {
  const enc = encoding === 'buffer' ? 'utf8' : encoding;
  for (const from of ['stdout', 'stderr'] as const) {
    const stream = child[from];
    if (!stream) continue;
    const splitter = new LineSplitter(enc);
    const emit = (line: string) => log.write({ type: 'output', id, command, from, line, time: new Date() });
    stream.on('data', (chunk: Buffer) => splitter.write(chunk, emit));
    stream.once('end', () => splitter.end(emit));
  }
}
