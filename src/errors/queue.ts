// Errors of spindle/queue (JobQueue, Job, work(), `spindle work`): codes ERR_QUEUE_*.
import { named, SpindleError } from './base.js';

/**
 * A job failed for good: every attempt failed (or it stalled more than
 * `maxStalledCount` times). The message says how many attempts and why the
 * last one failed; `cause` is the last attempt's error, rebuilt with its
 * class name and code on either store.
 */
export class QueueJobFailedError extends SpindleError<'ERR_QUEUE_JOB_FAILED'> {
  declare readonly name: 'QueueJobFailedError';
  readonly jobId: string;
  readonly task: string;
  readonly attemptsMade: number;
  constructor(jobId: string, task: string, attemptsMade: number, why: string, options?: ErrorOptions) {
    super(
      'ERR_QUEUE_JOB_FAILED',
      `Job '${jobId}' (task '${task}') failed after ${attemptsMade} attempt${attemptsMade === 1 ? '' : 's'}: ${why}`,
      options,
    );
    this.jobId = jobId;
    this.task = task;
    this.attemptsMade = attemptsMade;
  }
  static {
    named(QueueJobFailedError, 'QueueJobFailedError');
  }
}

/** A job's arguments would not survive a JSON round trip (jobs are stored as JSON in Redis). */
export class QueueJobNotSerializableError extends SpindleError<'ERR_QUEUE_JOB_NOT_SERIALIZABLE'> {
  declare readonly name: 'QueueJobNotSerializableError';
  /** where the offending value sits, e.g. `args[1].when` */
  readonly path: string;
  constructor(path: string, problem: string) {
    super(
      'ERR_QUEUE_JOB_NOT_SERIALIZABLE',
      `Job argument \`${path}\` ${problem}; job arguments must survive JSON.stringify/JSON.parse unchanged ` +
        '(plain objects, arrays, strings, finite numbers, booleans, null)',
    );
    this.path = path;
  }
  static {
    named(QueueJobNotSerializableError, 'QueueJobNotSerializableError');
  }
}

/** `add()` after `close()`, or a job still waiting for its result when its queue closed. */
export class QueueClosedError extends SpindleError<'ERR_QUEUE_CLOSED'> {
  declare readonly name: 'QueueClosedError';
  constructor(message = 'The job queue is closed; no new jobs are accepted') {
    super('ERR_QUEUE_CLOSED', message);
  }
  static {
    named(QueueClosedError, 'QueueClosedError');
  }
}

/** The Redis store needs the optional peer dependency `bullmq`, which is not installed. */
export class QueueBullmqMissingError extends SpindleError<'ERR_QUEUE_BULLMQ_MISSING'> {
  declare readonly name: 'QueueBullmqMissingError';
  constructor(cause: unknown) {
    super(
      'ERR_QUEUE_BULLMQ_MISSING',
      "The Redis store of spindle/queue needs the package 'bullmq' (an optional peer dependency): run `npm install bullmq`",
      { cause },
    );
  }
  static {
    named(QueueBullmqMissingError, 'QueueBullmqMissingError');
  }
}

/** Redis did not answer: `add()` gave up after `timeout` ms, or a connection error (emitted as 'error'). */
export class QueueUnreachableError extends SpindleError<'ERR_QUEUE_UNREACHABLE'> {
  declare readonly name: 'QueueUnreachableError';
  /** the Redis URL with any password masked */
  readonly url: string;
  constructor(url: string, what: string, options?: ErrorOptions) {
    super(
      'ERR_QUEUE_UNREACHABLE',
      `Redis at ${url} is unreachable: ${what}; spindle keeps reconnecting with backoff`,
      options,
    );
    this.url = url;
  }
  static {
    named(QueueUnreachableError, 'QueueUnreachableError');
  }
}

/**
 * Redis refused the credentials of the queue's URL (a wrong password or user:
 * `WRONGPASS`, or none given where one is needed: `NOAUTH`). The message
 * names the URL with its credentials masked and Redis's own reply, which
 * never contains the password; `cause` is that reply. Reported as an 'error'
 * event and by `add()`; spindle keeps reconnecting, so fixing the password on
 * the server is enough.
 */
export class QueueAuthFailedError extends SpindleError<'ERR_QUEUE_AUTH_FAILED'> {
  declare readonly name: 'QueueAuthFailedError';
  /** the Redis URL with its credentials masked */
  readonly url: string;
  constructor(url: string, reply: string, options?: ErrorOptions) {
    super('ERR_QUEUE_AUTH_FAILED', `Redis at ${url} refused the credentials: ${reply}`, options);
    this.url = url;
  }
  static {
    named(QueueAuthFailedError, 'QueueAuthFailedError');
  }
}

/**
 * The job is not kept any more: removed by retention (`keep`), `job.remove()`,
 * `queue.clean()` or `queue.removeWaiting()`. `job.result()` rejects with it
 * instead of waiting for an end that will never be seen.
 */
export class QueueJobRemovedError extends SpindleError<'ERR_QUEUE_JOB_REMOVED'> {
  declare readonly name: 'QueueJobRemovedError';
  readonly jobId: string;
  constructor(jobId: string, why = 'it was removed (retention, remove(), clean() or removeWaiting())') {
    super('ERR_QUEUE_JOB_REMOVED', `Job '${jobId}' is not kept any more: ${why}`);
    this.jobId = jobId;
  }
  static {
    named(QueueJobRemovedError, 'QueueJobRemovedError');
  }
}

/**
 * The job is not in a state that allows the operation: `job.retry()` of a
 * job that has not failed, `job.remove()` of a job that is running.
 * `state` is the state it was found in (`'removed'` when it is gone).
 */
export class QueueJobStateError extends SpindleError<'ERR_QUEUE_JOB_STATE'> {
  declare readonly name: 'QueueJobStateError';
  readonly jobId: string;
  readonly state: string;
  readonly operation: 'retry' | 'remove';
  constructor(jobId: string, operation: 'retry' | 'remove', state: string, needs: string) {
    super('ERR_QUEUE_JOB_STATE', `Cannot ${operation} job '${jobId}': it is ${state}; ${needs}`);
    this.jobId = jobId;
    this.state = state;
    this.operation = operation;
  }
  static {
    named(QueueJobStateError, 'QueueJobStateError');
  }
}

/** Every error class of spindle/queue, as a union that `code` discriminates. */
export type QueueError =
  | QueueJobFailedError
  | QueueJobNotSerializableError
  | QueueClosedError
  | QueueBullmqMissingError
  | QueueUnreachableError
  | QueueAuthFailedError
  | QueueJobRemovedError
  | QueueJobStateError;
