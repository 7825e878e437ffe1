// Every message between the pool (parent) and a worker (child), as one tagged
// union per direction. Messages are flat arrays whose first element is the
// kind: cheaper to clone than objects, and batches stay one message. Both
// sides dispatch through a table indexed by kind, never an if-chain.

/** Message kinds. Parent→child and child→parent share one numbering. */
export const enum Kind {
  /**
   * parent→child: run tasks. Layout: [Tasks, slot, id, name, args, slot, id, name, args, ...], and
   * when a task of the batch carries context (its WireTask.meta, observe/context.ts) one more element
   * at the end: the metas, one per task in order (null for a task without). The length tells:
   * (length - 1) % TASK_FIELDS === 1. A batch without context costs nothing more.
   */
  Tasks = 0,
  /** parent→child: abort a task cooperatively: [Abort, slot, id, reason] */
  Abort = 1,
  /** parent→child: finish what is running, then exit: [Close] */
  Close = 2,
  /**
   * child→parent: module loaded (and the setup module run): [Ready, taskNames, hasTeardown];
   * hasTeardown: the setup function returned a teardown, so the worker is asked to stop, not terminated
   */
  Ready = 3,
  /** child→parent: module failed to load: [LoadError, wireError, setupUrl] (setupUrl: it was the setup module) */
  LoadError = 4,
  /** child→parent: results: [Result, slot, id, ok, value, runMs, ...] */
  Result = 5,
  /** child→parent: please replace me (heap over the recycle limit): [Recycle, heapMb] */
  Recycle = 6,
  /** child→parent: an uncaught error is about to end this worker (process runtime): [Fatal, wireError] */
  Fatal = 7,
  /** parent→child: the pool's workerData, first message (process runtime, only when set): [Init, workerData] */
  Init = 8,
  /** child→parent: results wait in the shared result ring (thread runtime): [Bell] */
  Bell = 9,
  /** child→parent: a running task reports progress (spindle/worker `progress()`): [Progress, slot, id, value] */
  Progress = 10,
  /** child→parent: the setup module's teardown threw while the worker stopped: [TeardownError, wireError] */
  TeardownError = 11,
  /**
   * parent→child: run tasks, when the worker also takes tasks from its shared
   * task ring (thread runtime): [TasksAt, seq, slot, id, name, args, ...];
   * `seq` is the first task's sequence number (thread/ring.ts, ORDER OF TASKS)
   */
  TasksAt = 12,
}

/** Appends the metas of `tasks` to their Tasks message when one of them has context; returns the message. */
export function withMeta(message: unknown[], tasks: readonly { readonly meta?: unknown }[]): unknown[] {
  if (tasks.some((t) => t.meta !== undefined)) message.push(tasks.map((t) => t.meta ?? null));
  return message;
}

/** The metas of a Tasks message, or undefined when it carries none (see Kind.Tasks). */
export function taskMetas(m: readonly unknown[]): readonly unknown[] | undefined {
  return (m.length - 1) % TASK_FIELDS === 1 ? (m[m.length - 1] as unknown[]) : undefined;
}

/** Fields per task in a Tasks message, and per result in a Result message. */
export const TASK_FIELDS = 4;
export const RESULT_FIELDS = 5;

export type TasksMessage = [Kind.Tasks, ...unknown[]];
export type TasksAtMessage = [Kind.TasksAt, number, ...unknown[]];
export type AbortMessage = [Kind.Abort, number, number, unknown];
export type CloseMessage = [Kind.Close];
export type InitMessage = [Kind.Init, unknown];
export type ParentMessage = TasksMessage | TasksAtMessage | AbortMessage | CloseMessage | InitMessage;

export type ReadyMessage = [Kind.Ready, string[], boolean];
export type LoadErrorMessage = [Kind.LoadError, unknown, string | undefined];
export type ResultMessage = [Kind.Result, ...unknown[]];
export type RecycleMessage = [Kind.Recycle, number];
export type FatalMessage = [Kind.Fatal, unknown];
export type BellMessage = [Kind.Bell];
export type ProgressMessage = [Kind.Progress, number, number, unknown];
export type TeardownErrorMessage = [Kind.TeardownError, unknown];
export type ChildMessage =
  | ReadyMessage
  | LoadErrorMessage
  | ResultMessage
  | RecycleMessage
  | FatalMessage
  | BellMessage
  | ProgressMessage
  | TeardownErrorMessage;

/** What the parent tells a child when it starts (workerData / first message). */
export interface ChildInit {
  /** file URL of the task module; '' for a pool without one (inline functions only) */
  url: string;
  /** file URL of the setup module, run before the task module; '' for none */
  setup: string;
  /** tasks a worker may run at once (async tasks) */
  concurrency: number;
  /** ask to be recycled when heapUsed passes this many MiB (0 = never) */
  maxHeapMb: number;
  /** the pool's worker id, exposed as `workerId` in spindle/worker */
  workerId: number;
}

/**
 * Wire names of inline function calls start with this (`<inline fib>`); the
 * source travels as the first argument. Module exports with such names are
 * not tasks, so a module can never shadow an inline call.
 */
export const INLINE_PREFIX = '<inline';

/** The environment variable that hands a worker process its start-up record (process runtime). */
export const PROCESS_BOOT_ENV = 'SPINDLE_PROCESS_BOOT';

/**
 * Task ids are stamped into shared Int32 claim words as `tag * 8 + status`,
 * so the tag keeps 28 bits. Both sides derive it the same way.
 */
export function tagOf(id: number): number {
  return id & 0x0fffffff;
}
