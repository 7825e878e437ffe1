// Errors of spindle/exec: codes ERR_EXEC_*. Every one carries the details of the run.
import { named, SpindleError } from './base.js';

/** What `spindle/exec` knows about a finished (or failed) command; every exec error carries it. */
export interface ExecErrorDetails {
  /** The command exactly as it ran, shell-quoted for reading (for `shell: true`, the shell's command line). */
  command: string;
  file: string;
  args: readonly string[];
  /** Buffered stdout (a prefix when `isMaxBuffer`); `''` when it was streamed elsewhere; lines with `lines: true`. */
  stdout: string | Buffer | string[];
  stderr: string | Buffer | string[];
  /** stdout and stderr interleaved in the order received, with `all: true`. */
  all?: string | Buffer | string[];
  /** IPC messages the program sent, with `ipc: true`. */
  messages?: unknown[];
  /** null when the program never started or was ended by a signal. */
  exitCode: number | null;
  /** the signal that ended the program, or null */
  signal: NodeJS.Signals | null;
  durationMs: number;
  pid: number | undefined;
  timedOut: boolean;
  isCanceled: boolean;
  isMaxBuffer: boolean;
  /** SIGKILL had to follow `killSignal` because the process outlived `killGrace`. */
  forceKilled: boolean;
}

/** Codes of spindle/exec. */
export type ExecErrorCode =
  | 'ERR_EXEC_NOT_FOUND'
  | 'ERR_EXEC_SPAWN'
  | 'ERR_EXEC_EXIT'
  | 'ERR_EXEC_SIGNAL'
  | 'ERR_EXEC_TIMEOUT'
  | 'ERR_EXEC_ABORTED'
  | 'ERR_EXEC_MAX_BUFFER'
  | 'ERR_EXEC_STREAM'
  | 'ERR_EXEC_SHELL_QUOTING';

/**
 * Base class of every failure of a command run by `spindle/exec`; the fields describe
 * the run. Each subclass only names its code.
 */
export abstract class ExecError<
    C extends Exclude<ExecErrorCode, 'ERR_EXEC_SHELL_QUOTING'> = Exclude<ExecErrorCode, 'ERR_EXEC_SHELL_QUOTING'>,
  >
  extends SpindleError<C>
  implements ExecErrorDetails
{
  readonly failed = true;
  declare command: string;
  declare file: string;
  declare args: readonly string[];
  declare stdout: string | Buffer | string[];
  declare stderr: string | Buffer | string[];
  declare all?: string | Buffer | string[];
  declare messages?: unknown[];
  declare exitCode: number | null;
  declare signal: NodeJS.Signals | null;
  declare durationMs: number;
  declare pid: number | undefined;
  declare timedOut: boolean;
  declare isCanceled: boolean;
  declare isMaxBuffer: boolean;
  declare forceKilled: boolean;
  /** The upstream command's result when this command was fed through `a.pipe(b)`. */
  pipedFrom?: unknown;
  constructor(code: C, message: string, details: ExecErrorDetails, options?: ErrorOptions) {
    super(code, message, options);
    Object.assign(this, details);
  }
  static {
    named(ExecError, 'ExecError');
  }
}

/** The program does not exist on PATH (or at the given path). */
export class ExecNotFoundError extends ExecError<'ERR_EXEC_NOT_FOUND'> {
  declare readonly name: 'ExecNotFoundError';
  constructor(message: string, details: ExecErrorDetails, options?: ErrorOptions) {
    super('ERR_EXEC_NOT_FOUND', message, details, options);
  }
  static {
    named(ExecNotFoundError, 'ExecNotFoundError');
  }
}

/** The program could not be started for another reason (permission denied, missing `cwd`, too many files). */
export class ExecSpawnError extends ExecError<'ERR_EXEC_SPAWN'> {
  declare readonly name: 'ExecSpawnError';
  constructor(message: string, details: ExecErrorDetails, options?: ErrorOptions) {
    super('ERR_EXEC_SPAWN', message, details, options);
  }
  static {
    named(ExecSpawnError, 'ExecSpawnError');
  }
}

/** The program exited with a non-zero code. */
export class ExecExitError extends ExecError<'ERR_EXEC_EXIT'> {
  declare readonly name: 'ExecExitError';
  constructor(message: string, details: ExecErrorDetails, options?: ErrorOptions) {
    super('ERR_EXEC_EXIT', message, details, options);
  }
  static {
    named(ExecExitError, 'ExecExitError');
  }
}

/** The program was ended by a signal that spindle did not send for a timeout, abort or maxBuffer. */
export class ExecSignalError extends ExecError<'ERR_EXEC_SIGNAL'> {
  declare readonly name: 'ExecSignalError';
  constructor(message: string, details: ExecErrorDetails, options?: ErrorOptions) {
    super('ERR_EXEC_SIGNAL', message, details, options);
  }
  static {
    named(ExecSignalError, 'ExecSignalError');
  }
}

/** The program ran longer than `timeout` and was killed (with its process group). */
export class ExecTimeoutError extends ExecError<'ERR_EXEC_TIMEOUT'> {
  declare readonly name: 'ExecTimeoutError';
  constructor(message: string, details: ExecErrorDetails, options?: ErrorOptions) {
    super('ERR_EXEC_TIMEOUT', message, details, options);
  }
  static {
    named(ExecTimeoutError, 'ExecTimeoutError');
  }
}

/** The `signal` option aborted the command, before or after it started. */
export class ExecAbortedError extends ExecError<'ERR_EXEC_ABORTED'> {
  declare readonly name: 'ExecAbortedError';
  constructor(message: string, details: ExecErrorDetails, options?: ErrorOptions) {
    super('ERR_EXEC_ABORTED', message, details, options);
  }
  static {
    named(ExecAbortedError, 'ExecAbortedError');
  }
}

/** stdout or stderr grew past `maxBuffer`; the program was killed and the kept prefix is on the error. */
export class ExecMaxBufferError extends ExecError<'ERR_EXEC_MAX_BUFFER'> {
  declare readonly name: 'ExecMaxBufferError';
  constructor(message: string, details: ExecErrorDetails, options?: ErrorOptions) {
    super('ERR_EXEC_MAX_BUFFER', message, details, options);
  }
  static {
    named(ExecMaxBufferError, 'ExecMaxBufferError');
  }
}

/** The `input` stream or a stream given as `stdout`/`stderr` failed; the program was killed. */
export class ExecStreamError extends ExecError<'ERR_EXEC_STREAM'> {
  declare readonly name: 'ExecStreamError';
  constructor(message: string, details: ExecErrorDetails, options?: ErrorOptions) {
    super('ERR_EXEC_STREAM', message, details, options);
  }
  static {
    named(ExecStreamError, 'ExecStreamError');
  }
}

/**
 * `$` with a `shell`: a value cannot be quoted safely, so nothing ran. Either the shell
 * is not sh-compatible (cmd.exe, PowerShell, fish: their quoting rules differ), or the
 * value stands where sh would not read a quoted word literally (a comment, a
 * here-document, backquotes, `$((…))`, `${…}`, after a backslash). Thrown at once; it
 * carries no run details because there was no run.
 */
export class ExecShellQuotingError extends SpindleError<'ERR_EXEC_SHELL_QUOTING'> {
  declare readonly name: 'ExecShellQuotingError';
  /** The shell that was asked for (`true` is shown as the shell it means, e.g. '/bin/sh'). */
  readonly shell: string;
  /** Which `${…}` of the template (0 for the first). */
  readonly index: number;
  constructor(message: string, shell: string, index: number) {
    super('ERR_EXEC_SHELL_QUOTING', message);
    this.shell = shell;
    this.index = index;
  }
  static {
    named(ExecShellQuotingError, 'ExecShellQuotingError');
  }
}

/** Every error class of spindle/exec, as a union that `code` discriminates. */
export type AnyExecError =
  | ExecNotFoundError
  | ExecSpawnError
  | ExecExitError
  | ExecSignalError
  | ExecTimeoutError
  | ExecAbortedError
  | ExecMaxBufferError
  | ExecStreamError
  | ExecShellQuotingError;
