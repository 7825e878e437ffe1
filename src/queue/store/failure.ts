// How a job's error crosses Redis. BullMQ keeps two things of the error a
// processor throws: its message (`failedReason`, what BullMQ's tools show)
// and its stack (one entry per attempt in `stacktrace`). The error's class
// name, `code`, `cause` and fields would be lost, so the stack entry carries
// the whole error as a JSON record of src/errors/remote.ts after a marker
// line: written in the same Redis script that fails the job (no extra round
// trip), readable by any process, and still a readable stack for people.
import { type ErrorClasses, isRemote, type RemoteError, rebuildError, toRemote } from '../../errors/remote.js';

const MARK = '\n[spindle error] ';

/** The error the processor hands to BullMQ in place of `err` (its original is kept for local events). */
const originals = new WeakMap<Error, unknown>();

/**
 * Wraps what a task threw for BullMQ: `make(message)` builds the carrier
 * (an Error, or BullMQ's UnrecoverableError for a job that must not be
 * retried); its stack is the original stack followed by the encoded error.
 * Its name stays BullMQ's, so an error that happens to be named
 * 'DelayedError' or 'WaitingError' cannot steer BullMQ.
 */
export function encodeFailure(err: unknown, make: (message: string) => Error): Error {
  const record = toRemote(err, 'json');
  const message = record.__spindleError === 1 ? record.message : `a non-Error value was thrown: ${record.text}`;
  const carrier = make(message);
  let stack: string;
  let json: string | undefined;
  if (record.__spindleError === 1) {
    stack = record.stack ?? `${record.name}: ${record.message}`;
    const { stack: _omitted, ...rest } = record; // the stack is the text before the marker
    json = stringify(rest);
  } else {
    stack = message;
    json = stringify(record);
  }
  carrier.stack = json === undefined ? stack : `${stack}${MARK}${json}`;
  originals.set(carrier, err);
  return carrier;
}

/** What the task threw, for an error that encodeFailure made (else the error itself). */
export function originalOf(err: Error): unknown {
  return originals.has(err) ? originals.get(err) : err;
}

/**
 * The error of a failed attempt, from its stacktrace entry in Redis: rebuilt
 * with its class (spindle's own, and `classes`), name, code, cause and
 * fields when spindle stored it; an
 * Error with `reason` and that stack otherwise (a job another BullMQ worker
 * failed, a stall).
 */
export function decodeFailure(entry: string | undefined, reason: string, classes?: ErrorClasses): Error {
  const at = entry?.lastIndexOf(MARK) ?? -1;
  if (entry !== undefined && at !== -1) {
    let record: unknown;
    try {
      record = JSON.parse(entry.slice(at + MARK.length));
    } catch {
      record = undefined;
    }
    if (isRemote(record)) {
      if (record.__spindleError === 1) (record as RemoteError).stack = entry.slice(0, at);
      return rebuildError(record, classes);
    }
  }
  const error = new Error(reason);
  if (entry) error.stack = at === -1 ? entry : entry.slice(0, at);
  return error;
}

function stringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
