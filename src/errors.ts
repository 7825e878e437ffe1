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

// ---------------------------------------------------------------- shared
// spindle/shared: Mutex, Semaphore, Barrier, Latch, Condition, Channel.

/** A waiting call of a shared-memory primitive did not finish within its `timeout`. */
export class SharedTimeoutError extends SpindleError {
  /** The timeout that elapsed, in milliseconds. */
  readonly timeout: number;
  constructor(operation: string, timeout: number) {
    super('ERR_SHARED_TIMEOUT', `${operation} timed out after ${timeout} ms`);
    this.timeout = timeout;
  }
}

/** A waiting call was cancelled through its `signal`; the signal's reason is the `cause`. */
export class SharedAbortError extends SpindleError {
  constructor(operation: string, reason: unknown) {
    super('ERR_SHARED_ABORTED', `${operation} was aborted`, { cause: reason });
  }
}

/** `from()`/`reviveShared()` got a value that is not the expected spindle primitive. */
export class SharedHandleError extends SpindleError {
  /** The kind that was expected, e.g. `Mutex`. */
  readonly expected: string;
  /** The `__spindleShared` tag found on the value, if any. */
  readonly actual: string | undefined;
  constructor(expected: string, actual: string | undefined, message: string) {
    super('ERR_SHARED_INVALID_HANDLE', message);
    this.expected = expected;
    this.actual = actual;
  }
}

/** `unlock()` of a mutex that is not locked, or `Condition.wait` with an unlocked mutex. */
export class MutexNotLockedError extends SpindleError {
  constructor(message = 'The mutex is not locked') {
    super('ERR_SHARED_NOT_LOCKED', message);
  }
}

/** `Semaphore.release()` would raise the permits above the semaphore's `max`. */
export class SemaphoreOverflowError extends SpindleError {
  constructor(max: number, attempted: number) {
    super(
      'ERR_SHARED_SEMAPHORE_OVERFLOW',
      `Releasing would raise the semaphore to ${attempted} permits, above its max of ${max}`,
    );
  }
}

/** `Latch.countDown()` would take the count below zero. */
export class LatchUnderflowError extends SpindleError {
  constructor(count: number, by: number) {
    super('ERR_SHARED_LATCH_UNDERFLOW', `Cannot count the latch down by ${by}: its count is ${count}`);
  }
}

/** A blocking (`*Sync`) call had to wait on a thread where `Atomics.wait` is not allowed. */
export class BlockingNotAllowedError extends SpindleError {
  constructor(operation: string, cause: unknown) {
    super(
      'ERR_SHARED_BLOCKING_NOT_ALLOWED',
      `${operation} must wait, but this thread may not block (Atomics.wait is not allowed here); use the async method`,
      { cause },
    );
  }
}

/** Sending on a closed channel, or receiving from a closed channel that is drained. */
export class ChannelClosedError extends SpindleError {
  constructor(message = 'The channel is closed') {
    super('ERR_SHARED_CHANNEL_CLOSED', message);
  }
}

/** A value's encoded record is larger than the channel's `maxRecordSize`. */
export class RecordTooLargeError extends SpindleError {
  /** Encoded size of the rejected value in bytes. */
  readonly size: number;
  /** The channel's `maxRecordSize`. */
  readonly limit: number;
  constructor(size: number, limit: number) {
    super(
      'ERR_SHARED_RECORD_TOO_LARGE',
      `The value encodes to ${size} bytes, above the channel's maxRecordSize of ${limit}`,
    );
    this.size = size;
    this.limit = limit;
  }
}

/** A value cannot be sent through a channel (a function, a symbol, shared memory, ...). */
export class UnsupportedValueError extends SpindleError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_SHARED_UNSUPPORTED_VALUE', message, options);
  }
}
