// Every error spindle throws or rejects with. Each class carries a stable
// `code`; match on `err.code`, never on the message. docs/errors.md has one row
// per code.

/** Base class of every spindle error: a stable `code` plus the usual `cause`. */
export class SpindleError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
  override get name(): string {
    return this.constructor.name;
  }
}

// ---------------------------------------------------------------- input

/** An option or argument has the wrong type or is out of range. */
export class InvalidOptionError extends SpindleError {
  /** The option's name, e.g. `maxWorkers` or `options.timeout`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super('ERR_INVALID_OPTION', message);
    this.option = option;
  }
}

// ---------------------------------------------------------------- exec

/** What `spindle/exec` knows about a finished (or failed) command; every exec error carries it. */
export interface ExecErrorDetails {
  /** The command as a shell-quoted string, for messages and logs (never run through a shell). */
  command: string;
  file: string;
  args: readonly string[];
  /** Buffered stdout (a prefix when `isMaxBuffer`); `''` when it was streamed elsewhere. */
  stdout: string | Buffer;
  stderr: string | Buffer;
  /** undefined when the program never started or was ended by a signal. */
  exitCode: number | undefined;
  signal: NodeJS.Signals | undefined;
  durationMs: number;
  pid: number | undefined;
  timedOut: boolean;
  isCanceled: boolean;
  isMaxBuffer: boolean;
  /** SIGKILL had to follow `killSignal` because the process outlived `killGrace`. */
  forceKilled: boolean;
}

/**
 * Base class of every failure of a command run by `spindle/exec`; the fields describe
 * the run. Each subclass only names its code.
 */
export class ExecError extends SpindleError implements ExecErrorDetails {
  static readonly CODE: string = 'ERR_EXEC';
  readonly failed = true;
  declare command: string;
  declare file: string;
  declare args: readonly string[];
  declare stdout: string | Buffer;
  declare stderr: string | Buffer;
  declare exitCode: number | undefined;
  declare signal: NodeJS.Signals | undefined;
  declare durationMs: number;
  declare pid: number | undefined;
  declare timedOut: boolean;
  declare isCanceled: boolean;
  declare isMaxBuffer: boolean;
  declare forceKilled: boolean;
  /** The upstream command's result when this command was fed through `a.pipe(b)`. */
  pipedFrom?: unknown;
  constructor(message: string, details: ExecErrorDetails, options?: ErrorOptions) {
    super((new.target as typeof ExecError).CODE, message, options);
    Object.assign(this, details);
  }
}

/** The program does not exist on PATH (or at the given path). */
export class ExecNotFoundError extends ExecError {
  static override readonly CODE = 'ERR_EXEC_NOT_FOUND';
}

/** The program could not be started for another reason (permission denied, missing `cwd`, too many files). */
export class ExecSpawnError extends ExecError {
  static override readonly CODE = 'ERR_EXEC_SPAWN';
}

/** The program exited with a non-zero code. */
export class ExecExitError extends ExecError {
  static override readonly CODE = 'ERR_EXEC_EXIT';
}

/** The program was ended by a signal that spindle did not send for a timeout, abort or maxBuffer. */
export class ExecSignalError extends ExecError {
  static override readonly CODE = 'ERR_EXEC_SIGNAL';
}

/** The program ran longer than `timeout` and was killed (with its process group). */
export class ExecTimeoutError extends ExecError {
  static override readonly CODE = 'ERR_EXEC_TIMEOUT';
}

/** The `signal` option aborted the command, before or after it started. */
export class ExecAbortError extends ExecError {
  static override readonly CODE = 'ERR_EXEC_ABORTED';
}

/** stdout or stderr grew past `maxBuffer`; the program was killed and the kept prefix is on the error. */
export class ExecMaxBufferError extends ExecError {
  static override readonly CODE = 'ERR_EXEC_MAX_BUFFER';
}

/** The `input` stream or a stream given as `stdout`/`stderr` failed; the program was killed. */
export class ExecStreamError extends ExecError {
  static override readonly CODE = 'ERR_EXEC_STREAM';
}
