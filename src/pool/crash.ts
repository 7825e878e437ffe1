// What a worker's death means: the error its running tasks reject with, and
// whether the pool should stop starting workers. Kept apart from the core so
// that each rule is written once.
import { type CrashReason, WorkerCrashedError, WorkerLoadError } from '../errors/index.js';
import type { ExitInfo, WireTask } from '../runtime/types.js';
import type { PoolWorker } from './worker.js';

/** Workers that die before delivering anything, in a row, before the pool stops respawning. */
export const BARREN_EXITS_LIMIT = 3;

/** Why the worker ended: 'stuck' when the pool stopped it over an ignored abort, else what the runtime saw. */
export function exitReason(w: PoolWorker<WireTask>, info: ExitInfo): CrashReason {
  return w.stopDetail && !info.error ? 'stuck' : info.reason;
}

/** The error a task (or, with none, the pool's 'error' event) gets for a worker that died. */
export function crashError(
  w: PoolWorker<WireTask>,
  info: ExitInfo,
  task: string | undefined,
  detail = `${w.stopDetail ?? info.detail}${task === undefined ? ' while idle' : ` while running task '${task}'`}`,
): WorkerCrashedError {
  return new WorkerCrashedError(
    {
      workerId: w.handle.id,
      reason: exitReason(w, info),
      exitCode: info.exitCode,
      signal: info.signal,
      detail,
    },
    { cause: info.error },
  );
}

/** What an unexpected exit means for the pool. */
export interface Verdict {
  /** the pool can no longer run tasks: it stops starting workers and rejects what waits */
  fail?: Error;
  /** a failure tied to no task, for the pool's 'error' event */
  report?: Error;
}

/**
 * The crash policy: a worker that dies before its module loaded fails the
 * pool (every new one would too), and so do BARREN_EXITS_LIMIT workers in a
 * row that die without delivering a result.
 */
export class CrashPolicy {
  private barren = 0;

  constructor(private readonly url: string) {}

  /** A worker delivered a result: the run of barren deaths is broken. */
  delivered(): void {
    this.barren = 0;
  }

  /** Judges an exit the pool did not ask for; `blamed` counts the tasks that died with the worker. */
  judge(w: PoolWorker<WireTask>, info: ExitInfo, blamed: number): Verdict {
    if (!w.ready && info.reason !== 'signal') {
      // It died before its module was even loaded. (Killed by a signal from
      // outside while it started, it says nothing of the module.)
      const why = new Error(`the worker ${info.detail} before the module loaded`, { cause: info.error });
      return { fail: new WorkerLoadError(this.url, why) };
    }
    if (blamed > 0) return {};
    const verdict: Verdict = { report: crashError(w, info, undefined) };
    if (++this.barren >= BARREN_EXITS_LIMIT) {
      const detail = `${info.detail}; ${BARREN_EXITS_LIMIT} workers in a row died without running a task, so the pool stopped starting new ones`;
      verdict.fail = crashError(w, info, undefined, detail);
    }
    return verdict;
  }
}
