// The memory store: jobs live in this process and run on its pool. Every
// feature of the Redis store with the same rules (priority, delay, attempts
// with backoff, jobId de-duplication, retention, pause, limits, groups,
// schedules), but nothing survives the process: a job still waiting when the
// process ends is gone.
import { QueueClosedError, QueueJobFailedError, QueueJobRemovedError, QueueJobStateError } from '../../errors/index.js';
import { rebuildError, toRemote } from '../../errors/remote.js';
import { runWithMeta, type TaskMeta } from '../../observe/context.js';
import type { Pool } from '../../pool/pool.js';
import { MAX_DURATION } from '../../util/duration.js';
import { backoffDelay } from '../backoff.js';
import { Job, type JobActions, type JobCounts, type JobRecord, type ListedJobState } from '../job.js';
import type { ResolvedKeepRule } from '../keep.js';
import { windowWait } from '../limits.js';
import type { QueueMetrics } from '../metrics.js';
import type { CloseResult, ResolvedAdd, ResolvedQueueOptions } from '../options.js';
import { loadCron, nextEvery, nextRun, type ResolvedSpec, runJobId, type ScheduleInfo } from '../schedule.js';
import { IdleWait } from './idle.js';
import { GroupTurns } from './turns.js';
import type { CleanState, Emit, Store } from './types.js';

type EntryState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

interface Entry {
  readonly id: string;
  readonly name: string;
  readonly args: unknown[];
  readonly opts: ResolvedAdd;
  readonly group: string | null;
  readonly priority: number;
  seq: number;
  attemptsMade: number;
  state: EntryState;
  /** holds one of its group's slots (from its first start to its end for good) */
  slot: boolean;
  addedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** when a delayed job is due */
  dueAt: number;
  progress: unknown;
  returnValue: unknown;
  error: QueueJobFailedError | null;
  /** the schedule whose run this is */
  schedule: string | null;
  timer: NodeJS.Timeout | undefined;
  abort: AbortController | undefined;
  /** when it last became ready to run (performance.now()), for the wait histogram */
  readyAt: number;
  /** the context of the add() call, restored around each attempt (observe/context.ts) */
  meta: TaskMeta | undefined;
  /** result(): settles at the job's end for good */
  settled: Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface Schedule {
  key: string;
  name: string;
  args: unknown[];
  spec: ResolvedSpec;
  opts: ResolvedAdd;
  /** what makes two schedule() calls the same */
  print: string;
  /** when the run `current` is due */
  next: number;
  current: string | null;
  phase: number;
}

export class EmbeddedStore implements Store {
  readonly #o: ResolvedQueueOptions;
  readonly #pool: Pool<any>;
  readonly #emit: Emit;
  /** every job kept: not finished, or finished and within `keep` */
  readonly #jobs = new Map<string, Entry>();
  /** jobs that may start now, by priority (higher first) then order of arrival (a group's retries too: they hold their slot) */
  readonly #ready: Entry[] = [];
  readonly #delayed = new Set<Entry>();
  readonly #active = new Set<Entry>();
  /** finished jobs in the order they finished (oldest first) */
  readonly #completed: Entry[] = [];
  readonly #failed: Entry[] = [];
  /** callers' jobIds and when they were added (oldest first), remembered for keep.jobIds */
  readonly #ids = new Map<string, number>();
  readonly #groups: GroupTurns<Entry>;
  readonly #schedules = new Map<string, Schedule>();
  /** start times, for `limiter` */
  readonly #starts: number[] = [];
  #limitTimer: NodeJS.Timeout | undefined;
  readonly #actions: JobActions;
  #seq = 0;
  #nextId = 1;
  #paused = false;
  #closing = false;
  #handingBack = false;
  /** close() waits on this for the running jobs to end */
  readonly #idle = new IdleWait();

  constructor(
    o: ResolvedQueueOptions,
    emit: Emit,
    readonly metrics: QueueMetrics,
  ) {
    this.#o = o;
    this.#pool = o.pool!;
    this.#emit = emit;
    this.#groups = new GroupTurns(o.groupConcurrency, o.groupLimiter, () => this.#pump());
    this.#actions = {
      wait: (id) => this.#wait(id),
      retry: (id) => this.#retry(id),
      remove: (id) => this.#remove(id),
    };
  }

  #job(e: Entry): Job {
    return new Job(this.#record(e), this.#actions);
  }

  #record(e: Entry): JobRecord {
    const state = e.state === 'waiting' && this.#paused ? 'paused' : e.state;
    return {
      id: e.id,
      name: e.name,
      args: e.args,
      attempts: e.opts.attempts,
      group: e.group,
      state,
      attemptsMade: e.attemptsMade,
      progress: e.progress,
      returnValue: e.returnValue,
      error: e.error,
      addedAt: e.addedAt,
      startedAt: e.startedAt,
      finishedAt: e.finishedAt,
    };
  }

  async add(name: string, args: unknown[], opts: ResolvedAdd, meta?: TaskMeta): Promise<Job> {
    return new Job(this.#add(name, args, opts, null, meta), this.#actions);
  }

  /**
   * Adds a job and returns its record as add() reports it (before it may
   * have started); an existing jobId gives that job, a remembered one a
   * record in state 'removed' (its job is gone, nothing is added).
   */
  #add(name: string, args: unknown[], opts: ResolvedAdd, schedule: string | null, meta?: TaskMeta): JobRecord {
    const now = Date.now();
    if (opts.jobId !== undefined) {
      const existing = this.#jobs.get(opts.jobId);
      if (existing) return this.#record(existing);
      this.#forgetIds(now);
      if (this.#ids.has(opts.jobId))
        return { ...this.#record(this.#entry(opts.jobId, name, args, opts, now, null)), state: 'removed' };
      if (schedule === null) this.#ids.set(opts.jobId, now);
    }
    const id = opts.jobId ?? String(this.#nextId++);
    const e = this.#entry(id, name, args, opts, now, schedule);
    e.meta = meta;
    this.#jobs.set(id, e);
    const record = { ...this.#record(e), state: opts.delay > 0 ? ('delayed' as const) : ('waiting' as const) };
    if (opts.delay > 0) this.#later(e, now + opts.delay);
    else this.#enqueue(e);
    return record;
  }

  #entry(id: string, name: string, args: unknown[], opts: ResolvedAdd, now: number, schedule: string | null): Entry {
    const e = {
      id,
      name,
      args,
      opts,
      group: opts.group ?? null,
      priority: opts.priority,
      seq: this.#seq++,
      attemptsMade: 0,
      state: 'waiting',
      slot: false,
      addedAt: now,
      startedAt: null,
      finishedAt: null,
      dueAt: 0,
      progress: 0,
      returnValue: null,
      error: null,
      schedule,
      timer: undefined,
      abort: undefined,
      readyAt: 0,
      meta: undefined,
    } as unknown as Entry;
    this.#arm(e);
    return e;
  }

  /** A fresh promise for result() (a new one when a failed job is retried). */
  #arm(e: Entry): void {
    e.settled = new Promise<unknown>((res, rej) => {
      e.resolve = res;
      e.reject = rej;
    });
    e.settled.catch(() => {}); // observed through job.result(); no unhandled rejection otherwise
  }

  #forgetIds(now: number): void {
    for (const [id, at] of this.#ids) {
      if (at > now - this.#o.keep.jobIds) break;
      this.#ids.delete(id);
    }
  }

  #later(e: Entry, at: number): void {
    e.state = 'delayed';
    e.dueAt = at;
    this.#delayed.add(e);
    this.#wake(e);
  }

  /** A timer for a delayed job; a wait longer than Node's timers allow (a yearly schedule) is chained. */
  #wake(e: Entry): void {
    const ms = Math.max(0, e.dueAt - Date.now());
    e.timer = setTimeout(
      () => {
        e.timer = undefined;
        if (Date.now() < e.dueAt) return this.#wake(e);
        this.#delayed.delete(e);
        this.#enqueue(e);
      },
      Math.min(ms, MAX_DURATION),
    );
  }

  #enqueue(e: Entry): void {
    e.state = 'waiting';
    e.readyAt = performance.now();
    if (e.group !== null && !e.slot) this.#groups.add(e);
    else {
      const w = this.#ready;
      let lo = 0;
      let hi = w.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const m = w[mid]!;
        if (m.priority > e.priority || (m.priority === e.priority && m.seq < e.seq)) lo = mid + 1;
        else hi = mid;
      }
      w.splice(lo, 0, e);
    }
    this.#pump();
  }

  /** Starts jobs while there is room: the next ready job or the next group's, whichever comes first. */
  #pump(): void {
    while (!this.#closing && !this.#paused && this.#active.size < this.#o.concurrency) {
      const now = Date.now();
      const ready = this.#ready[0];
      const turn = this.#groups.peek(now);
      if (!ready && !turn) return;
      const limiter = this.#o.limiter;
      if (limiter) {
        const wait = windowWait(this.#starts, now, limiter);
        if (wait > 0) {
          if (!this.#limitTimer) {
            this.#limitTimer = setTimeout(() => {
              this.#limitTimer = undefined;
              this.#pump();
            }, wait);
          }
          return;
        }
      }
      const first =
        ready &&
        (!turn || ready.priority > turn.priority || (ready.priority === turn.priority && ready.seq < turn.seq));
      let e: Entry;
      if (first) {
        e = this.#ready.shift()!;
        if (e.group !== null) {
          // a retry holding its slot: its group's limiter still counts it
          const wait = this.#groups.restart(e.group, now);
          if (wait > 0) {
            this.#later(e, now + wait);
            continue;
          }
        }
      } else {
        e = this.#groups.take(now);
        e.slot = true;
      }
      if (limiter) this.#recordStart(now, limiter.duration);
      this.#start(e, now);
    }
  }

  #recordStart(now: number, duration: number): void {
    this.#starts.push(now);
    let drop = 0;
    while (drop < this.#starts.length && this.#starts[drop]! < now - 2 * duration) drop++;
    if (drop > 0) this.#starts.splice(0, drop);
  }

  #start(e: Entry, now: number): void {
    e.state = 'active';
    e.attemptsMade++;
    e.startedAt = now;
    e.abort = new AbortController();
    this.#active.add(e);
    if (e.schedule !== null) this.#nextRunOf(e);
    const started = performance.now();
    this.metrics.wait.observe(started - e.readyAt);
    const signal = e.abort.signal;
    runWithMeta(e.meta, () =>
      this.#pool.run(e.name, e.args, {
        label: e.id,
        signal,
        onProgress: (progress: unknown) => {
          e.progress = progress;
          this.#emit('progress', { jobId: e.id, progress });
        },
      }),
    ).then(
      (result) => {
        this.metrics.run.observe(performance.now() - started);
        this.#done(e, true, result);
      },
      (err) => {
        this.metrics.run.observe(performance.now() - started);
        this.#done(e, false, err);
      },
    );
  }

  #done(e: Entry, ok: boolean, value: unknown): void {
    this.#active.delete(e);
    e.abort = undefined;
    const id = e.id;
    if (ok) {
      e.returnValue = value;
      this.#finish(e, 'completed');
      e.resolve(value);
      this.#emit('completed', { jobId: id, result: value });
    } else if (this.#handingBack) {
      // aborted by close(): it did not run to its end; the memory store cannot keep it
      e.attemptsMade--;
      this.#drop(e);
      e.reject(
        new QueueClosedError(
          `The job queue closed while job '${id}' was running; the memory store does not keep jobs past close()`,
        ),
      );
    } else if (e.attemptsMade < e.opts.attempts) {
      const delay = backoffDelay(e.opts.backoff, e.attemptsMade);
      this.metrics.retries++;
      this.#emit('retrying', { jobId: id, error: value as Error, attemptsMade: e.attemptsMade, delay });
      if (delay > 0) this.#later(e, Date.now() + delay);
      else this.#enqueue(e);
    } else {
      // the cause as the Redis store rebuilds it (through JSON), so code moves between stores unchanged
      const cause = rebuildError(toRemote(value, 'json'), this.#o.errorClasses);
      const error = new QueueJobFailedError(id, e.name, e.attemptsMade, cause.message, { cause });
      e.error = error;
      this.#finish(e, 'failed');
      e.reject(error);
      this.#emit('failed', { jobId: id, error });
    }
    this.#pump();
    if (this.#active.size === 0) this.#idle.notify();
  }

  /** The job ended for good: its group slot frees, and retention decides what stays. */
  #finish(e: Entry, state: 'completed' | 'failed'): void {
    e.state = state;
    e.finishedAt = Date.now();
    this.#release(e);
    const list = state === 'completed' ? this.#completed : this.#failed;
    list.push(e);
    this.#retain(list, e.opts.keep[state], e.finishedAt);
  }

  /** BullMQ's rule, so that both stores keep the same jobs: the finishing job's rule trims its whole list. */
  #retain(list: Entry[], rule: ResolvedKeepRule, now: number): void {
    if (rule.count === 0) {
      this.#jobs.delete(list.pop()!.id); // removed as it finishes, the others stay (BullMQ's `true`)
      return;
    }
    if (Number.isFinite(rule.ageSeconds)) {
      const cutoff = now - rule.ageSeconds * 1000;
      while (list.length > 0 && list[0]!.finishedAt! <= cutoff) this.#jobs.delete(list.shift()!.id);
    }
    while (list.length > rule.count) this.#jobs.delete(list.shift()!.id);
  }

  #release(e: Entry): void {
    if (!e.slot) return;
    e.slot = false;
    this.#groups.release(e.group!);
  }

  /** Takes a job out of wherever it waits or is kept (not a running one). */
  #drop(e: Entry): void {
    clearTimeout(e.timer);
    e.timer = undefined;
    this.#delayed.delete(e);
    const i = this.#ready.indexOf(e);
    if (i !== -1) this.#ready.splice(i, 1);
    if (e.state === 'waiting' && e.group !== null) this.#groups.remove(e);
    for (const list of [this.#completed, this.#failed]) {
      const at = list.indexOf(e);
      if (at !== -1) list.splice(at, 1);
    }
    this.#release(e);
    this.#jobs.delete(e.id);
  }

  #wait(id: string): Promise<unknown> {
    const e = this.#jobs.get(id);
    if (e) return e.settled;
    if (this.#closing) return Promise.reject(new QueueClosedError());
    return Promise.reject(new QueueJobRemovedError(id));
  }

  async #retry(id: string): Promise<void> {
    const e = this.#jobs.get(id);
    if (e?.state !== 'failed')
      throw new QueueJobStateError(id, 'retry', e ? e.state : 'removed', 'only a failed job can be retried');
    this.#failed.splice(this.#failed.indexOf(e), 1);
    Object.assign(e, { attemptsMade: 0, error: null, startedAt: null, finishedAt: null, seq: this.#seq++ });
    this.#arm(e);
    if (this.#closing) {
      this.#drop(e);
      throw new QueueClosedError();
    }
    this.#enqueue(e);
  }

  async #remove(id: string): Promise<void> {
    const e = this.#jobs.get(id);
    if (!e) return;
    if (e.state === 'active') throw new QueueJobStateError(id, 'remove', 'active', 'a running job finishes first');
    const s = e.schedule === null ? undefined : this.#schedules.get(e.schedule);
    if (s?.current === id)
      throw new QueueJobStateError(id, 'remove', e.state, `it is the next run of schedule '${s.key}': unschedule() it`);
    this.#drop(e);
    e.reject(new QueueJobRemovedError(id));
  }

  async getJob(id: string): Promise<Job | null> {
    const e = this.#jobs.get(id);
    return e ? this.#job(e) : null;
  }

  async counts(): Promise<JobCounts> {
    const waiting = this.#ready.length + this.#groups.pending;
    return {
      waiting: this.#paused ? 0 : waiting,
      paused: this.#paused ? waiting : 0,
      delayed: this.#delayed.size,
      active: this.#active.size,
      completed: this.#completed.length,
      failed: this.#failed.length,
    };
  }

  async jobs(state: ListedJobState, offset: number, limit: number): Promise<Job[]> {
    let list: Entry[];
    if (state === 'waiting' || state === 'paused') {
      list = state === (this.#paused ? 'paused' : 'waiting') ? [...this.#ready, ...this.#groups.pendingJobs()] : [];
    } else if (state === 'delayed') list = [...this.#delayed].sort((a, b) => a.dueAt - b.dueAt);
    else if (state === 'active') list = [...this.#active];
    else list = [...(state === 'completed' ? this.#completed : this.#failed)].reverse();
    return list.slice(offset, offset + limit).map((e) => this.#job(e));
  }

  async pause(): Promise<void> {
    this.#paused = true;
  }

  async resume(): Promise<void> {
    this.#paused = false;
    this.#pump();
  }

  async isPaused(): Promise<boolean> {
    return this.#paused;
  }

  /** Waiting (and delayed) jobs, except a schedule's next run, which unschedule() removes. */
  #removable(e: Entry): boolean {
    return e.schedule === null || this.#schedules.get(e.schedule)?.current !== e.id;
  }

  async removeWaiting(delayed: boolean): Promise<void> {
    const gone = [...this.#ready, ...this.#groups.pendingJobs(), ...(delayed ? this.#delayed : [])];
    for (const e of gone) {
      if (!this.#removable(e)) continue;
      this.#drop(e);
      e.reject(new QueueJobRemovedError(e.id));
    }
  }

  async clean(state: CleanState, olderThan: number, limit: number): Promise<number> {
    const cutoff = Date.now() - olderThan;
    let candidates: Entry[];
    if (state === 'completed' || state === 'failed')
      candidates = (state === 'completed' ? this.#completed : this.#failed).filter((e) => e.finishedAt! <= cutoff);
    else {
      const pool = state === 'waiting' ? [...this.#ready, ...this.#groups.pendingJobs()] : [...this.#delayed];
      candidates = pool.filter((e) => e.addedAt <= cutoff && this.#removable(e));
    }
    const gone = candidates.slice(0, limit);
    for (const e of gone) {
      const settledAlready = e.state === 'completed' || e.state === 'failed';
      this.#drop(e);
      if (!settledAlready) e.reject(new QueueJobRemovedError(e.id));
    }
    return gone.length;
  }

  async schedule(key: string, name: string, args: unknown[], spec: ResolvedSpec, opts: ResolvedAdd) {
    if (this.#closing) throw new QueueClosedError();
    const cp = spec.cron === null ? undefined : await loadCron();
    const print = JSON.stringify([name, args, spec, opts]);
    const old = this.#schedules.get(key);
    if (old?.print === print) return this.#info(old);
    const now = Date.now();
    // as BullMQ's upsert: the old schedule's pending run is replaced
    const pending = old?.current ? this.#jobs.get(old.current) : undefined;
    const replaced = pending !== undefined && pending.state !== 'active';
    if (pending && replaced) {
      this.#drop(pending);
      pending.reject(new QueueJobRemovedError(pending.id, `schedule '${key}' was changed`));
    }
    let next: number | null;
    if (cp) next = nextRun(cp, spec.cron!, spec.tz!, now);
    else if (old?.spec.every === spec.every && old)
      next = replaced ? old.next : nextEvery(old.next, spec.every!, now, old.phase);
    else next = now;
    const s: Schedule = { key, name, args, spec, opts, print, next: next ?? 0, current: null, phase: 0 };
    if (spec.every !== null) s.phase = old?.spec.every === spec.every && old ? old.phase : next! % spec.every;
    this.#schedules.set(key, s);
    if (next !== null) this.#addRun(s, next, now);
    return this.#info(s);
  }

  /** Adds the job of the run due at `at` (a delayed job until then). */
  #addRun(s: Schedule, at: number, now: number): void {
    const id = runJobId(s.key, at);
    s.next = at;
    s.current = id;
    this.#add(s.name, s.args, { ...s.opts, jobId: id, delay: Math.max(0, at - now) }, s.key);
  }

  /** A schedule's run started: the following run is added now (BullMQ does the same). */
  #nextRunOf(e: Entry): void {
    const s = this.#schedules.get(e.schedule!);
    if (!s || s.current !== e.id) return;
    const now = Date.now();
    const from = Math.max(now, s.next);
    if (s.spec.every !== null) {
      this.#addRun(s, nextEvery(s.next, s.spec.every, now, s.phase), now);
      return;
    }
    void loadCron().then((cp) => {
      if (this.#closing || this.#schedules.get(s.key) !== s || s.current !== e.id) return;
      const next = nextRun(cp, s.spec.cron!, s.spec.tz!, from);
      if (next === null) s.current = null;
      else this.#addRun(s, next, Date.now());
    });
  }

  #info(s: Schedule): ScheduleInfo {
    return {
      key: s.key,
      name: s.name,
      args: s.args,
      cron: s.spec.cron,
      tz: s.spec.tz,
      every: s.spec.every,
      next: s.current === null ? null : s.next,
    };
  }

  async unschedule(key: string): Promise<boolean> {
    const s = this.#schedules.get(key);
    if (!s) return false;
    this.#schedules.delete(key);
    const pending = s.current ? this.#jobs.get(s.current) : undefined;
    if (pending && pending.state !== 'active') {
      this.#drop(pending);
      pending.reject(new QueueJobRemovedError(pending.id, `schedule '${key}' was removed`));
    }
    return true;
  }

  async schedules(): Promise<ScheduleInfo[]> {
    return [...this.#schedules.values()].map((s) => this.#info(s));
  }

  /**
   * Stops starting jobs, lets the running ones finish within `grace` ms,
   * aborts the rest; whatever did not finish rejects with ERR_QUEUE_CLOSED.
   * Clean when nothing was aborted or dropped.
   */
  async close(grace: number): Promise<CloseResult> {
    this.#closing = true;
    clearTimeout(this.#limitTimer);
    this.#groups.close();
    let clean = true;
    if (this.#active.size > 0) {
      await this.#idle.grace(grace);
      if (this.#active.size > 0) {
        clean = false;
        this.#handingBack = true;
        const stopped = this.#idle.idle();
        for (const e of this.#active) e.abort?.abort(new QueueClosedError('The job queue closed'));
        await stopped;
      }
    }
    for (const e of [...this.#jobs.values()]) {
      if (e.state !== 'waiting' && e.state !== 'delayed') continue;
      if (e.schedule === null) clean = false; // a schedule's next run is not work that was dropped
      this.#drop(e);
      e.reject(
        new QueueClosedError(
          `The job queue closed before job '${e.id}' ran; the memory store does not keep jobs past close()`,
        ),
      );
    }
    this.#schedules.clear();
    return { clean };
  }

  /** destroy(): running jobs are aborted now, whatever grace close() was given. */
  force(): void {
    this.#closing = true;
    this.#idle.force();
  }
}
