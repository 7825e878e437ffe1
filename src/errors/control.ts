// Errors of the control plane (the per-supervisor Unix socket and the CLI
// commands that speak to it: ls, status, reload, stop, logs, scale): ERR_CONTROL_*.
import { named, SpindleError } from './base.js';

/** A supervisor with this name is already running (its socket answers). The CLI exits with code 2. */
export class ControlNameInUseError extends SpindleError<'ERR_CONTROL_NAME_IN_USE'> {
  declare readonly name: 'ControlNameInUseError';
  /** The control name asked for. */
  readonly controlName: string;
  /** The socket of the running supervisor. */
  readonly socket: string;
  constructor(controlName: string, socket: string, pid: number | null) {
    super(
      'ERR_CONTROL_NAME_IN_USE',
      `A supervisor named '${controlName}' is already running${pid === null ? '' : ` (pid ${pid})`}, at ${socket}: stop it first ('spindle stop ${controlName}') or choose another --name`,
    );
    this.controlName = controlName;
    this.socket = socket;
  }
  static {
    named(ControlNameInUseError, 'ControlNameInUseError');
  }
}

/** No running supervisor answers to this name in any control directory. The CLI exits with code 1. */
export class ControlNotRunningError extends SpindleError<'ERR_CONTROL_NOT_RUNNING'> {
  declare readonly name: 'ControlNotRunningError';
  readonly controlName: string;
  /** The directories that were searched. */
  readonly directories: string[];
  constructor(controlName: string, directories: string[]) {
    super(
      'ERR_CONTROL_NOT_RUNNING',
      `No supervisor named '${controlName}' is running (looked in ${directories.join(', ') || 'no directory'}; 'spindle ls' lists the running ones)`,
    );
    this.controlName = controlName;
    this.directories = directories;
  }
  static {
    named(ControlNotRunningError, 'ControlNotRunningError');
  }
}

/** Why a control request was refused: see docs/control.md. */
export type ControlBadRequestReason = 'json' | 'shape' | 'version' | 'command' | 'args' | 'too-large' | 'busy';

/** The supervisor refused a request on its control socket: not JSON, too large, unknown command, bad arguments. */
export class ControlBadRequestError extends SpindleError<'ERR_CONTROL_BAD_REQUEST'> {
  declare readonly name: 'ControlBadRequestError';
  readonly reason: ControlBadRequestReason;
  constructor(reason: ControlBadRequestReason, message: string) {
    super('ERR_CONTROL_BAD_REQUEST', message);
    this.reason = reason;
  }
  static {
    named(ControlBadRequestError, 'ControlBadRequestError');
  }
}

/** The control directory cannot be used safely: not ours, not a directory, cannot be created, or its socket path is too long. */
export class ControlDirectoryError extends SpindleError<'ERR_CONTROL_DIRECTORY'> {
  declare readonly name: 'ControlDirectoryError';
  readonly directory: string;
  constructor(directory: string, problem: string, options?: ErrorOptions) {
    super('ERR_CONTROL_DIRECTORY', `Cannot use the control directory ${directory}: ${problem}`, options);
    this.directory = directory;
  }
  static {
    named(ControlDirectoryError, 'ControlDirectoryError');
  }
}

/** The connection to a supervisor failed, or closed before the reply came (the supervisor exited or was killed). */
export class ControlConnectionError extends SpindleError<'ERR_CONTROL_CONNECTION'> {
  declare readonly name: 'ControlConnectionError';
  readonly socket: string;
  constructor(socket: string, message: string, options?: ErrorOptions) {
    super('ERR_CONTROL_CONNECTION', message, options);
    this.socket = socket;
  }
  static {
    named(ControlConnectionError, 'ControlConnectionError');
  }
}

/** A control request got no reply within its timeout. */
export class ControlTimeoutError extends SpindleError<'ERR_CONTROL_TIMEOUT'> {
  declare readonly name: 'ControlTimeoutError';
  readonly timeout: number;
  constructor(command: string, socket: string, timeout: number) {
    super(
      'ERR_CONTROL_TIMEOUT',
      `No reply to '${command}' from ${socket} within ${timeout} ms (is its event loop blocked?)`,
    );
    this.timeout = timeout;
  }
  static {
    named(ControlTimeoutError, 'ControlTimeoutError');
  }
}

/** The other end of a control socket broke the protocol (a reply that is not JSON, or of another protocol version). */
export class ControlProtocolError extends SpindleError<'ERR_CONTROL_PROTOCOL'> {
  declare readonly name: 'ControlProtocolError';
  constructor(message: string) {
    super('ERR_CONTROL_PROTOCOL', message);
  }
  static {
    named(ControlProtocolError, 'ControlProtocolError');
  }
}

/** Every error class of the control plane, as a union that `code` discriminates. */
export type ControlError =
  | ControlNameInUseError
  | ControlNotRunningError
  | ControlBadRequestError
  | ControlDirectoryError
  | ControlConnectionError
  | ControlTimeoutError
  | ControlProtocolError;
