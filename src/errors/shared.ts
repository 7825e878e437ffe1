// Errors of spindle/shared (Mutex, Semaphore, Barrier, Latch, Condition, Channel): codes ERR_SHARED_*.
import { named, SpindleError } from './base.js';

/** A waiting call of a shared-memory primitive did not finish within its `timeout`. */
export class SharedTimeoutError extends SpindleError<'ERR_SHARED_TIMEOUT'> {
  declare readonly name: 'SharedTimeoutError';
  /** The timeout that elapsed, in milliseconds. */
  readonly timeout: number;
  /** `Channel.sendMany`/`sendManySync`: how many values were sent before it timed out (they will be received); null for other calls. */
  readonly sent: number | null;
  constructor(operation: string, timeout: number, sent: number | null = null) {
    super('ERR_SHARED_TIMEOUT', `${operation} timed out after ${timeout} ms${sentText(sent)}`);
    this.timeout = timeout;
    this.sent = sent;
  }
  static {
    named(SharedTimeoutError, 'SharedTimeoutError');
  }
}

/** A waiting call was cancelled through its `signal`; the signal's reason is the `cause`. */
export class SharedAbortedError extends SpindleError<'ERR_SHARED_ABORTED'> {
  declare readonly name: 'SharedAbortedError';
  /** `Channel.sendMany`: how many values were sent before the abort (they will be received); null for other calls. */
  readonly sent: number | null;
  constructor(operation: string, reason: unknown, sent: number | null = null) {
    super('ERR_SHARED_ABORTED', `${operation} was aborted${sentText(sent)}`, { cause: reason });
    this.sent = sent;
  }
  static {
    named(SharedAbortedError, 'SharedAbortedError');
  }
}

/** `from()`/`reviveShared()` got a value that is not the expected spindle primitive. */
export class SharedInvalidHandleError extends SpindleError<'ERR_SHARED_INVALID_HANDLE'> {
  declare readonly name: 'SharedInvalidHandleError';
  /** The kind that was expected, e.g. `Mutex`. */
  readonly expected: string;
  /** The `__spindleShared` tag found on the value, if any. */
  readonly actual: string | undefined;
  constructor(expected: string, actual: string | undefined, message: string) {
    super('ERR_SHARED_INVALID_HANDLE', message);
    this.expected = expected;
    this.actual = actual;
  }
  static {
    named(SharedInvalidHandleError, 'SharedInvalidHandleError');
  }
}

/** `unlock()` of a mutex that is not locked, or `Condition.wait` with an unlocked mutex. */
export class SharedNotLockedError extends SpindleError<'ERR_SHARED_NOT_LOCKED'> {
  declare readonly name: 'SharedNotLockedError';
  constructor(message = 'The mutex is not locked') {
    super('ERR_SHARED_NOT_LOCKED', message);
  }
  static {
    named(SharedNotLockedError, 'SharedNotLockedError');
  }
}

/** `Semaphore.release()` would raise the permits above the semaphore's `max`. */
export class SharedSemaphoreOverflowError extends SpindleError<'ERR_SHARED_SEMAPHORE_OVERFLOW'> {
  declare readonly name: 'SharedSemaphoreOverflowError';
  constructor(max: number, attempted: number) {
    super(
      'ERR_SHARED_SEMAPHORE_OVERFLOW',
      `Releasing would raise the semaphore to ${attempted} permits, above its max of ${max}`,
    );
  }
  static {
    named(SharedSemaphoreOverflowError, 'SharedSemaphoreOverflowError');
  }
}

/** `Latch.countDown()` would take the count below zero. */
export class SharedLatchUnderflowError extends SpindleError<'ERR_SHARED_LATCH_UNDERFLOW'> {
  declare readonly name: 'SharedLatchUnderflowError';
  constructor(count: number, by: number) {
    super('ERR_SHARED_LATCH_UNDERFLOW', `Cannot count the latch down by ${by}: its count is ${count}`);
  }
  static {
    named(SharedLatchUnderflowError, 'SharedLatchUnderflowError');
  }
}

/** A blocking (`*Sync`) call had to wait on a thread where `Atomics.wait` is not allowed. */
export class SharedBlockingNotAllowedError extends SpindleError<'ERR_SHARED_BLOCKING_NOT_ALLOWED'> {
  declare readonly name: 'SharedBlockingNotAllowedError';
  constructor(operation: string, cause: unknown) {
    super(
      'ERR_SHARED_BLOCKING_NOT_ALLOWED',
      `${operation} must wait, but this thread may not block (Atomics.wait is not allowed here); use the async method`,
      { cause },
    );
  }
  static {
    named(SharedBlockingNotAllowedError, 'SharedBlockingNotAllowedError');
  }
}

/** Sending on a closed channel, or receiving from a closed channel that is drained. */
export class SharedChannelClosedError extends SpindleError<'ERR_SHARED_CHANNEL_CLOSED'> {
  declare readonly name: 'SharedChannelClosedError';
  /**
   * For a send: how many of the values given were sent before the close (they
   * will be received) — 0 for `send`, any count for `sendMany`. Null for a receive.
   */
  readonly sent: number | null;
  constructor(sent: number | null = null) {
    super('ERR_SHARED_CHANNEL_CLOSED', `The channel is closed${sentText(sent)}`);
    this.sent = sent;
  }
  static {
    named(SharedChannelClosedError, 'SharedChannelClosedError');
  }
}

/** A value's encoded record is larger than the channel's `maxRecordSize`. */
export class SharedRecordTooLargeError extends SpindleError<'ERR_SHARED_RECORD_TOO_LARGE'> {
  declare readonly name: 'SharedRecordTooLargeError';
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
  static {
    named(SharedRecordTooLargeError, 'SharedRecordTooLargeError');
  }
}

/** A value cannot be sent through a channel (a function, a symbol, shared memory, ...). */
export class SharedUnsupportedValueError extends SpindleError<'ERR_SHARED_UNSUPPORTED_VALUE'> {
  declare readonly name: 'SharedUnsupportedValueError';
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_SHARED_UNSUPPORTED_VALUE', message, options);
  }
  static {
    named(SharedUnsupportedValueError, 'SharedUnsupportedValueError');
  }
}

/**
 * A record in a channel's shared memory does not decode: something other than
 * a spindle Channel wrote to that memory. The record is consumed; the channel
 * goes on with the next one.
 */
export class SharedMalformedRecordError extends SpindleError<'ERR_SHARED_MALFORMED_RECORD'> {
  declare readonly name: 'SharedMalformedRecordError';
  /**
   * `receiveMany`/`receiveManySync`: the well-formed records that call took
   * along with the malformed one, in order (they are no longer in the
   * channel); empty for the other calls.
   */
  readonly received: unknown[];
  constructor(message: string, options?: ErrorOptions, received: unknown[] = []) {
    super('ERR_SHARED_MALFORMED_RECORD', message, options);
    this.received = received;
  }
  static {
    named(SharedMalformedRecordError, 'SharedMalformedRecordError');
  }
}

function sentText(sent: number | null): string {
  return sent ? ` (${sent} ${sent === 1 ? 'value was' : 'values were'} sent before)` : '';
}

/** Every error class of spindle/shared, as a union that `code` discriminates. */
export type SharedError =
  | SharedTimeoutError
  | SharedAbortedError
  | SharedInvalidHandleError
  | SharedNotLockedError
  | SharedSemaphoreOverflowError
  | SharedLatchUnderflowError
  | SharedBlockingNotAllowedError
  | SharedChannelClosedError
  | SharedRecordTooLargeError
  | SharedUnsupportedValueError
  | SharedMalformedRecordError;
