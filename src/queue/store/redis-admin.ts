// Management calls of the Redis store: getJob, counts, jobs, clean,
// removeWaiting, retry, remove, schedules, and the slot check of groups.
// Each reads BullMQ through its public API and spindle's keys through
// ./lua.ts, answering from both as one queue.
import type * as BullMQ from 'bullmq';
import { QueueJobStateError } from '../../errors/index.js';
import type { ErrorClasses } from '../../errors/remote.js';
import { Job, type JobActions, type JobCounts, type JobRecord, type JobState, type ListedJobState } from '../job.js';
import { bullKeep } from '../keep.js';
import { MAX_PRIORITY, type ResolvedAdd } from '../options.js';
import type { ResolvedSpec, ScheduleInfo } from '../schedule.js';
import { heldJsonOf } from './lua.js';
import { ADMIT_BATCH, type Admitted, type HeldJob, SpindleKeys } from './redis-book.js';
import { bullRecord, heldRecord, type JobData, stateOf } from './redis-records.js';
import type { CleanState } from './types.js';

export interface AdminContext {
  queue: BullMQ.Queue<JobData>;
  mq: typeof BullMQ;
  book(): Promise<SpindleKeys>;
  classes: ErrorClasses | undefined;
  actions: JobActions;
  handOver(a: Admitted): Promise<void>;
  release(ids: string[]): Promise<void>;
  /** BullMQ has these held jobs now: spindle's JSON copies may go */
  handed(ids: string[]): void;
  /** result() calls of these jobs learn that they are gone */
  settleRemoved(ids: string[]): void;
  keepIds: number;
}

/** The part of BullMQ's ioredis client that reads bytes. */
interface BufferClient {
  hmgetBuffer(key: string, ...fields: string[]): Promise<(Buffer | null)[]>;
}

/** Where spindle holds a job (spindleLookup). */
interface Lookup {
  where: '' | 'pending' | 'delayed' | 'slot';
  held: HeldJob | null;
  remembered: boolean;
}

const BULL_WAITING = ['wait', 'paused', 'prioritized'] as const;

export class RedisAdmin {
  readonly #c: AdminContext;

  constructor(context: AdminContext) {
    this.#c = context;
  }

  async #lookup(id: string): Promise<Lookup> {
    const [where, json, remembered] = (await (
      await this.#c.book()
    ).call('spindleLookup', id, Date.now(), this.#c.keepIds)) as string[];
    return {
      where: where as Lookup['where'],
      held: json ? (JSON.parse(json) as HeldJob) : null,
      remembered: remembered === '1',
    };
  }

  /** Where a job stands: spindle's hold first (a group's turn), then BullMQ; null state when it is gone. */
  async state(
    id: string,
  ): Promise<{ state: JobState | null; bj: BullMQ.Job<JobData> | undefined; held: HeldJob | null }> {
    const q = this.#c.queue;
    const [found, bull, bj, paused] = await Promise.all([
      this.#lookup(id),
      q.getJobState(id),
      this.#c.mq.Job.fromId<JobData>(q, id),
      q.isPaused(),
    ]);
    if (found.held && (found.where === 'pending' || found.where === 'delayed')) {
      const state = found.where === 'delayed' ? 'delayed' : paused ? 'paused' : 'waiting';
      return { state, bj: undefined, held: found.held };
    }
    const state = bj ? stateOf(bull, paused) : null;
    if (state === null && found.held) return { state: paused ? 'paused' : 'waiting', bj: undefined, held: found.held };
    return { state, bj: bj ?? undefined, held: null };
  }

  #job(record: JobRecord): Job {
    return new Job(record, this.#c.actions);
  }

  async getJob(id: string): Promise<Job | null> {
    const { state, bj, held } = await this.state(id);
    if (state === null) return null;
    return this.#job(held ? heldRecord(id, held, state) : bullRecord(bj!, state, this.#c.classes));
  }

  /**
   * add() of a caller's jobId: the job that holds it, a record in state
   * 'removed' when it is remembered but gone, or null to add it.
   */
  async find(id: string, now: number, grouped: boolean): Promise<JobRecord | null> {
    const found = await this.#lookup(id);
    if (found.held && found.where !== 'slot')
      return heldRecord(id, found.held, found.where === 'delayed' ? 'delayed' : 'waiting');
    if (!found.remembered && !grouped && found.where !== 'slot') return null; // BullMQ's add de-duplicates the rest
    const { state, bj, held } = await this.state(id);
    if (bj && state) return bullRecord(bj, state, this.#c.classes);
    // a slot holder whose hand-over to BullMQ is in flight: still spindle's copy
    if (held && state) return heldRecord(id, held, state);
    if (found.remembered) return this.removedRecord(id, '', [], now);
    return null;
  }

  /** The job add() gives for a remembered jobId whose job is gone. */
  removedRecord(id: string, name: string, args: unknown[], now = Date.now()): JobRecord {
    return {
      id,
      name,
      args,
      attempts: 1,
      group: null,
      state: 'removed',
      attemptsMade: 0,
      progress: 0,
      returnValue: null,
      error: null,
      addedAt: now,
      startedAt: null,
      finishedAt: null,
    };
  }

  /** One round trip: BullMQ's counts script, the paused flag and spindle's held jobs, sent together. */
  async counts(): Promise<JobCounts> {
    const q = this.#c.queue;
    const [c, paused, held] = await Promise.all([
      q.getJobCounts('active', 'completed', 'failed', 'delayed', 'wait', 'paused', 'prioritized', 'waiting-children'),
      q.isPaused(),
      this.#c.book().then((b) => b.call('spindleCounts') as Promise<[number, number]>),
    ]);
    const waiting = (c.wait ?? 0) + (c.paused ?? 0) + (c.prioritized ?? 0) + (c['waiting-children'] ?? 0) + held[0];
    return {
      waiting: paused ? 0 : waiting,
      paused: paused ? waiting : 0,
      delayed: (c.delayed ?? 0) + held[1],
      active: c.active ?? 0,
      completed: c.completed ?? 0,
      failed: c.failed ?? 0,
    };
  }

  async jobs(state: ListedJobState, offset: number, limit: number): Promise<Job[]> {
    if (limit === 0) return [];
    const q = this.#c.queue;
    const paused = await q.isPaused();
    if (state === 'active' || state === 'completed' || state === 'failed') {
      const list = await q.getJobs([state], offset, offset + limit - 1, state === 'active');
      return list.map((bj) => this.#job(bullRecord(bj, state, this.#c.classes)));
    }
    const delayed = state === 'delayed';
    if (!delayed && (state === 'paused') !== paused) return [];
    // waiting: the order they run (BullMQ's lists, then the group jobs waiting
    // for their turn, by arrival); delayed: BullMQ's soonest first, then the
    // group jobs spindle holds, soonest first
    const types = delayed ? (['delayed'] as const) : BULL_WAITING;
    const book = await this.#c.book();
    const [c, mine] = await Promise.all([
      q.getJobCounts(...types),
      this.#c.book().then((b) => b.call('spindleCounts') as Promise<[number, number]>),
    ]);
    const sizes = [...types.map((t) => c[t] ?? 0), delayed ? mine[1] : mine[0]];
    const shown: JobState = delayed ? 'delayed' : paused ? 'paused' : 'waiting';
    const out: Job[] = [];
    let skip = offset;
    let room = limit;
    for (let i = 0; i < sizes.length && room > 0; i++) {
      const size = sizes[i]!;
      if (skip >= size) {
        skip -= size;
        continue;
      }
      const end = Math.min(size, skip + room) - 1;
      if (i < types.length) {
        const list = await q.getJobs([types[i]!], skip, end, true);
        for (const bj of list) out.push(this.#job(bullRecord(bj, shown, this.#c.classes)));
      } else {
        const client = await q.client;
        const ids = await client.zrange(`${book.prefix}${delayed ? 'delayed' : 'pending'}`, skip, end);
        out.push(...(await this.#held(ids, shown)));
      }
      room -= end - skip + 1;
      skip = 0;
    }
    return out.slice(0, limit);
  }

  async #held(ids: string[], state: JobState): Promise<Job[]> {
    if (ids.length === 0) return [];
    const client = await this.#c.queue.client;
    const book = await this.#c.book();
    // bytes: the group's length in the value is in bytes (./lua.ts)
    const values = await (client as unknown as BufferClient).hmgetBuffer(`${book.prefix}jobs`, ...ids);
    const out: Job[] = [];
    ids.forEach((id, i) => {
      const json = values[i] ? heldJsonOf(values[i]) : '';
      if (json !== '') out.push(this.#job(heldRecord(id, JSON.parse(json) as HeldJob, state)));
    });
    return out;
  }

  /** BullMQ's clean() (which spares each schedule's next run and tells result() through 'cleaned'), and spindle's held jobs. */
  async clean(state: CleanState, olderThan: number, limit: number): Promise<number> {
    const q = this.#c.queue;
    const max = Number.isFinite(limit) ? limit : 0;
    if (limit === 0) return 0;
    if (state === 'completed' || state === 'failed') return (await q.clean(olderThan, max, state)).length;
    let removed = 0;
    const room = (): number => (max === 0 ? 0 : max - removed);
    // spindle's held group jobs first: nothing else can hand them to BullMQ meanwhile
    const book = await this.#c.book();
    const ids = (await book.call('spindleOlder', Date.now() - olderThan, state === 'delayed' ? 1 : 0, max)) as string[];
    const mine = state === 'delayed' ? await this.#onlyDelayed(ids) : ids;
    if (mine.length > 0) {
      removed += Number(await book.call('spindleUnpend', ...mine));
      this.#c.settleRemoved(mine);
    }
    const types = state === 'waiting' ? BULL_WAITING : (['delayed'] as const);
    for (const type of types) {
      if (max !== 0 && removed >= max) break;
      removed += (await q.clean(olderThan, room(), type)).length;
    }
    return removed;
  }

  async #onlyDelayed(ids: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const id of ids) if ((await this.#lookup(id)).where === 'delayed') out.push(id);
    return out;
  }

  async removeWaiting(delayed: boolean): Promise<void> {
    await this.clean('waiting', 0, Number.POSITIVE_INFINITY);
    if (delayed) await this.clean('delayed', 0, Number.POSITIVE_INFINITY);
  }

  async retry(id: string): Promise<void> {
    const { state, bj, held } = await this.state(id);
    if (state !== 'failed' || !bj)
      throw new QueueJobStateError(
        id,
        'retry',
        held ? 'waiting' : (state ?? 'removed'),
        'only a failed job can be retried',
      );
    const group = bj.data.group;
    if (typeof group !== 'string') {
      await bj.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      return;
    }
    // a group job waits for its group's turn again, then BullMQ retries it in place
    const retried: HeldJob = {
      name: bj.name,
      data: bj.data as unknown as Record<string, unknown>,
      opts: { ...bj.opts, timestamp: Date.now() },
      retry: true,
    };
    const priority = MAX_PRIORITY + 1 - (bj.opts.priority ?? MAX_PRIORITY + 1);
    const reply = (await (
      await this.#c.book()
    ).call(
      'spindleRequeue',
      Date.now(),
      id,
      JSON.stringify(retried),
      MAX_PRIORITY - priority,
      group,
      ADMIT_BATCH,
    )) as unknown[];
    if (reply[0] === 'dup') return; // retried already
    await this.#c.handOver(SpindleKeys.admitted(reply, 1));
  }

  async remove(id: string): Promise<void> {
    const book = await this.#c.book();
    if (Number(await book.call('spindleUnpend', id)) > 0) {
      this.#c.settleRemoved([id]);
      return;
    }
    const q = this.#c.queue;
    let code: number;
    try {
      code = await q.remove(id);
    } catch {
      // BullMQ refuses a schedule's next run
      throw new QueueJobStateError(id, 'remove', 'delayed', 'it is the next run of a schedule: unschedule() it');
    }
    if (code === 0) {
      const bull = await q.getJobState(id);
      if (bull === 'active') throw new QueueJobStateError(id, 'remove', 'active', 'a running job finishes first');
    }
    // a group job holding a slot gives it back (BullMQ emitted 'removed' for result())
    await this.#c.release([id]);
  }

  async schedule(
    key: string,
    name: string,
    args: unknown[],
    spec: ResolvedSpec,
    opts: ResolvedAdd,
  ): Promise<ScheduleInfo> {
    const q = this.#c.queue;
    const print = JSON.stringify([name, args, spec, opts]);
    const old = await q.getJobScheduler(key);
    if ((old?.template?.data as JobData | undefined)?.print === print) return info(old!);
    const repeat = spec.cron === null ? { every: spec.every! } : { pattern: spec.cron, tz: spec.tz! };
    const data: JobData = { args, backoff: opts.backoff, print };
    const template = {
      name,
      data,
      opts: {
        attempts: opts.attempts,
        backoff: { type: 'spindle' },
        priority: MAX_PRIORITY + 1 - opts.priority,
        removeOnComplete: bullKeep(opts.keep.completed),
        removeOnFail: bullKeep(opts.keep.failed),
      },
    };
    try {
      await q.upsertJobScheduler(key, repeat, template);
    } catch (err) {
      // two nodes made the same schedule at the same moment: the run exists
      const now = await q.getJobScheduler(key);
      if ((now?.template?.data as JobData | undefined)?.print !== print) throw err;
    }
    return info((await q.getJobScheduler(key))!);
  }

  async schedules(): Promise<ScheduleInfo[]> {
    const list = await this.#c.queue.getJobSchedulers(0, -1, true);
    return list.filter((s) => s !== undefined).map(info);
  }

  /**
   * The slot check: a slot holder due for a check is looked at in BullMQ.
   * Still queued or running: it keeps its slot (a job whose node died runs
   * again elsewhere once its lock expires, in the same slot). Finished or
   * gone: its node died before it freed the slot, which frees now. Never
   * handed over (its producer died midway): handed over now.
   */
  async reap(now: number): Promise<void> {
    const book = await this.#c.book();
    const due = (await book.call('spindleReap', now, 100)) as (string | number)[];
    const free: string[] = [];
    const again: Admitted = { wake: 0, jobs: [] };
    const handed: string[] = [];
    await Promise.all(
      Array.from({ length: due.length / 2 }, async (_, i) => {
        const id = String(due[2 * i]);
        const hasJson = Number(due[2 * i + 1]) === 1;
        const live = stateOf(await this.#c.queue.getJobState(id), false);
        if (live !== null && live !== 'completed' && live !== 'failed') {
          if (hasJson) handed.push(id); // BullMQ has it; the mark was lost
          return;
        }
        const held = hasJson ? (await this.#lookup(id)).held : null;
        if (held && (live === null || (held.retry && live === 'failed'))) again.jobs.push({ id, held });
        else free.push(id);
      }),
    );
    if (handed.length > 0) this.#c.handed(handed);
    if (again.jobs.length > 0) await this.#c.handOver(again);
    if (free.length > 0) await this.#c.release(free);
  }
}

function info(s: BullMQ.JobSchedulerJson<JobData>): ScheduleInfo {
  const data = s.template?.data;
  return {
    key: s.key,
    name: s.name,
    args: Array.isArray(data?.args) ? data.args : [],
    cron: s.pattern ?? null,
    tz: s.pattern ? (s.tz ?? 'UTC') : null,
    every: s.every ?? null,
    next: s.next ?? null,
  };
}
