// Turns what happened to a command into its result, or into the coded error that explains it.
import {
  ExecAbortedError,
  type ExecError,
  type ExecErrorDetails,
  ExecExitError,
  ExecMaxBufferError,
  ExecNotFoundError,
  ExecSignalError,
  ExecSpawnError,
  ExecStreamError,
  ExecTimeoutError,
} from '../errors/index.js';
import { lastLines } from './collect.js';
import { describeSpawnFailure } from './command.js';
import type { FileFailure } from './files.js';

/** What a command's output is kept as: text, bytes (`encoding: 'buffer'`), or lines (`lines: true`). */
export type Output = string | Buffer | string[];

/** What a finished command produced. `stdout`/`stderr` are strings, Buffers with `encoding: 'buffer'`, arrays with `lines: true`. */
export interface ExecResult<O extends Output = string> {
  command: string;
  file: string;
  args: readonly string[];
  stdout: O;
  stderr: O;
  /** stdout and stderr interleaved in the order received, with `all: true`. */
  all?: O;
  /** The IPC messages the program sent, with `ipc: true` (unless you took them with `p.messages()`). */
  messages?: unknown[];
  /** null when the program never started or was ended by a signal. */
  exitCode: number | null;
  /** the signal that ended the program, or null */
  signal: NodeJS.Signals | null;
  durationMs: number;
  pid: number | undefined;
  /** true only with `reject: false` (a rejected promise carries the same fields on the error). */
  failed: boolean;
  timedOut: boolean;
  isCanceled: boolean;
  isMaxBuffer: boolean;
  forceKilled: boolean;
  /** The failure, with `reject: false`. */
  error?: ExecError;
  /** The result of the command that fed this one through `a.pipe(b)`. */
  pipedFrom?: ExecResult<Output>;
}

export type KillReason = 'timeout' | 'abort' | 'maxBuffer' | 'stream' | 'user';

/** Everything the process handle observed, gathered for classification. */
export interface Observed {
  details: ExecErrorDetails;
  spawnError: NodeJS.ErrnoException | undefined;
  /** A file given as `input`, `stdout` or `stderr` could not be opened: nothing ran. */
  fileFailure: FileFailure | undefined;
  reason: KillReason | undefined;
  cause: unknown;
  timeout: number;
  killGrace: number;
  maxBuffer: number;
  overflowed: 'stdout' | 'stderr' | undefined;
  /** The process we fed exited while our stdout was still open; what follows is its consequence. */
  downstreamClosed: boolean;
  cwd: string | undefined;
  env: NodeJS.ProcessEnv;
  shell: boolean | string;
  /** Text of the last stderr lines for the message. */
  stderrTail: () => string;
}

function suffix(o: Observed): string {
  const d = o.details;
  let s = '';
  if (d.forceKilled) s += `\nIt did not exit within killGrace (${o.killGrace} ms) and was force-killed with SIGKILL.`;
  const tail = o.stderrTail();
  if (tail) s += `\n${lastLines(tail)}`;
  return s;
}

/** The coded error for this outcome, or undefined when the command succeeded. */
export function classify(o: Observed): ExecError | undefined {
  const d = o.details;
  const cmd = d.command;
  if (o.fileFailure) {
    const { slot, error } = o.fileFailure;
    const what = slot.flags === 'r' ? 'read' : 'write to';
    return new ExecSpawnError(
      `Command could not be started: ${cmd} (cannot ${what} the \`${slot.option}\` file ${JSON.stringify(slot.path)}: ${error.code ?? error.message})`,
      d,
      { cause: error },
    );
  }
  if (o.spawnError) {
    const f = describeSpawnFailure(d.file, o.spawnError.code, o.cwd, o.env, o.shell);
    const opts = { cause: o.spawnError };
    return f.notFound
      ? new ExecNotFoundError(`Command not found: ${f.missing} (${f.reason})`, d, opts)
      : new ExecSpawnError(`Command could not be started: ${cmd} (${f.reason})`, d, opts);
  }
  const how = d.signal ? `killed with ${d.signal}` : `exit code ${d.exitCode}`;
  switch (o.reason) {
    case 'timeout':
      return new ExecTimeoutError(`Command timed out after ${o.timeout} ms (${how}): ${cmd}${suffix(o)}`, d);
    case 'abort': {
      const r = o.cause instanceof Error ? `: ${o.cause.message}` : '';
      return new ExecAbortedError(
        `Command was aborted${r} (${d.pid === undefined ? 'never started' : how}): ${cmd}${suffix(o)}`,
        d,
        {
          cause: o.cause,
        },
      );
    }
    case 'maxBuffer':
      return new ExecMaxBufferError(
        `Command's ${o.overflowed} exceeded maxBuffer (${o.maxBuffer} bytes) and it was killed: ${cmd}${suffix(o)}`,
        d,
      );
    case 'stream': {
      const m = o.cause instanceof Error ? o.cause.message : String(o.cause);
      return new ExecStreamError(`A stream of the command failed (${m}) and it was killed: ${cmd}${suffix(o)}`, d, {
        cause: o.cause,
      });
    }
  }
  // The process we fed exited while we were still writing: our SIGPIPE or EPIPE/ECONNRESET
  // exit is the ordinary end of a pipeline (`yes | head`), as in a shell.
  if (o.downstreamClosed && o.reason === undefined) return undefined;
  if (d.signal) {
    const by = o.reason === 'user' ? ' by kill()' : '';
    return new ExecSignalError(`Command was killed with ${d.signal}${by}: ${cmd}${suffix(o)}`, d);
  }
  if (d.exitCode !== 0) return new ExecExitError(`Command failed with exit code ${d.exitCode}: ${cmd}${suffix(o)}`, d);
  return undefined;
}
