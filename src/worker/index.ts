// What task modules import from `spindle/worker`.
import type { TransferListItem } from 'node:worker_threads';
import type { Transferred } from '../pool/types.js';
import { contextKey, type WorkerContext, workerIdKey } from '../runtime/runner/context.js';

export type { Transferred } from '../pool/types.js';

const never = new AbortController().signal;

function context(): WorkerContext | undefined {
  return (globalThis as Record<symbol, WorkerContext | undefined>)[contextKey];
}

/**
 * The AbortSignal of the task that is running now: it aborts when the caller
 * aborts or the task times out. Call it at the top of the task (before the
 * first `await` when the pool runs several tasks per worker). Outside a pool
 * task it returns a signal that never aborts, so task functions stay testable
 * on the main thread.
 */
export function taskSignal(): AbortSignal {
  return context()?.current()?.signal() ?? never;
}

/**
 * Throws the abort reason if the running task was aborted or timed out. For
 * synchronous loops: unlike `taskSignal().aborted` it also sees an abort that
 * arrived while this thread was too busy to receive messages (thread runtime).
 */
export function throwIfAborted(): void {
  const ctx = context();
  const task = ctx?.current();
  if (!ctx || !task) return;
  if (task.aborted) throw task.reason;
  if (ctx.abortedNow(task)) {
    const reason = new DOMException('The task was aborted', 'AbortError');
    task.abort(reason);
    throw reason;
  }
}

/**
 * Returns `value` to the caller without copying the objects in `transferList`
 * (ArrayBuffers, MessagePorts, ...): they move to the caller's thread.
 */
export function transfer<T>(value: T, transferList: readonly TransferListItem[]): Transferred<T> {
  return { value, transferList, [Symbol.for('spindle.transfer')]: true } as unknown as Transferred<T>;
}

/**
 * Reports progress of the running task to whoever called `pool.run(..., {
 * onProgress })` (and, through it, to a JobQueue's 'progress' event). The
 * value is cloned like a result; a value that cannot be cloned throws here.
 * Costs one message per call; outside a pool task, or once the task has
 * finished, it does nothing.
 */
export function progress(value: unknown): void {
  const ctx = context();
  const task = ctx?.current();
  if (ctx && task) ctx.progress(task, value);
}

/**
 * The id of the pool worker this code runs in (1, 2, …; a replacement gets a
 * new id), or undefined outside a pool worker. A constant, as `workerId` of
 * spindle/cluster: the worker sets it before the task module loads.
 */
export const workerId: number | undefined = (() => {
  const id = (globalThis as Record<symbol, unknown>)[workerIdKey];
  return typeof id === 'number' ? id : undefined;
})();
