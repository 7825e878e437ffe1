// Groups in the memory store: each group's waiting jobs, its running count
// and its starts; the groups that may start a job now take turns (round
// robin), so a group with 10 000 jobs waiting does not hold back one with 10.
// The Redis store keeps the same book in Redis (./groups.ts, ./lua.ts).
import { type ResolvedLimiter, windowWait } from '../limits.js';

/** What the book needs of a job. */
export interface Turned {
  readonly group: string | null;
  readonly seq: number;
  readonly priority: number;
}

interface Group<E> {
  /** waiting for the group's turn: priority (higher first), then arrival */
  pending: E[];
  /** jobs holding one of the group's slots: from their start to their end for good (retries included) */
  active: number;
  /** start times, for `groupLimiter` */
  starts: number[];
  where: 'idle' | 'ring' | 'full' | 'limited';
  timer: NodeJS.Timeout | undefined;
}

export class GroupTurns<E extends Turned> {
  readonly #groups = new Map<string, Group<E>>();
  /** groups that may start a job now, in turn order */
  readonly #ring: string[] = [];
  #pending = 0;
  readonly #concurrency: number;
  readonly #limiter: ResolvedLimiter | undefined;
  /** a limited group's wait ended: the store pumps again */
  readonly #wake: () => void;

  constructor(concurrency: number, limiter: ResolvedLimiter | undefined, wake: () => void) {
    this.#concurrency = concurrency;
    this.#limiter = limiter;
    this.#wake = wake;
  }

  /** Jobs waiting for their group's turn. */
  get pending(): number {
    return this.#pending;
  }

  /** Every job waiting for its group's turn, in order of arrival. */
  pendingJobs(): E[] {
    const all: E[] = [];
    for (const g of this.#groups.values()) all.push(...g.pending);
    return all.sort((a, b) => a.seq - b.seq);
  }

  #group(name: string): Group<E> {
    let g = this.#groups.get(name);
    if (!g) {
      g = { pending: [], active: 0, starts: [], where: 'idle', timer: undefined };
      this.#groups.set(name, g);
    }
    return g;
  }

  /** A job of a group waits for its group's turn. */
  add(e: E): void {
    const g = this.#group(e.group!);
    const p = g.pending;
    let lo = 0;
    let hi = p.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = p[mid]!;
      if (m.priority > e.priority || (m.priority === e.priority && m.seq < e.seq)) lo = mid + 1;
      else hi = mid;
    }
    p.splice(lo, 0, e);
    this.#pending++;
    if (g.where === 'idle') this.#place(e.group!, g);
  }

  /** Takes a waiting job out (removed); false when it was not waiting here. */
  remove(e: E): boolean {
    const g = this.#groups.get(e.group!);
    const i = g ? g.pending.indexOf(e) : -1;
    if (!g || i === -1) return false;
    g.pending.splice(i, 1);
    this.#pending--;
    if (g.pending.length === 0 && g.where === 'ring') this.#ring.splice(this.#ring.indexOf(e.group!), 1);
    if (g.pending.length === 0 && g.where !== 'limited') g.where = 'idle';
    this.#forget(e.group!, g);
    return true;
  }

  /**
   * The job whose group's turn it is, if any group may start one now. A
   * group that a retry's start put over its limiter since it joined the
   * ring waits out of turn.
   */
  peek(now: number): E | undefined {
    for (;;) {
      const name = this.#ring[0];
      if (name === undefined) return undefined;
      const g = this.#groups.get(name)!;
      if (!this.#limiter || windowWait(g.starts, now, this.#limiter) === 0) return g.pending[0];
      this.#ring.shift();
      g.where = 'idle';
      this.#place(name, g);
    }
  }

  /** Starts the peeked job: it takes a slot of its group, whose turn passes to the next group. */
  take(now: number): E {
    const name = this.#ring.shift()!;
    const g = this.#groups.get(name)!;
    const e = g.pending.shift()!;
    this.#pending--;
    g.active++;
    g.where = 'idle';
    this.#place(name, g, now);
    return e;
  }

  /**
   * A job that holds its slot starts again (a retry): 0 when its group's
   * limiter allows it now, else how long to wait. Counts the start when 0.
   */
  restart(group: string, now: number): number {
    const g = this.#group(group);
    const wait = this.#limiter ? windowWait(g.starts, now, this.#limiter) : 0;
    if (wait === 0) this.#record(g, now);
    return wait;
  }

  /** A job of `group` ended for good (or was removed while holding its slot). */
  release(group: string): void {
    const g = this.#groups.get(group);
    if (!g) return;
    g.active--;
    if (g.where === 'full') {
      g.where = 'idle';
      this.#place(group, g);
    }
    this.#forget(group, g);
  }

  /** Stops the timers of limited groups. */
  close(): void {
    for (const g of this.#groups.values()) clearTimeout(g.timer);
  }

  #record(g: Group<E>, now: number): void {
    if (!this.#limiter) return;
    g.starts.push(now);
    const keep = now - 2 * this.#limiter.duration;
    let drop = 0;
    while (drop < g.starts.length && g.starts[drop]! < keep) drop++;
    if (drop > 0) g.starts.splice(0, drop);
  }

  /** Puts a group (not in the ring) where it belongs: the ring's end, full, limited or idle. */
  #place(name: string, g: Group<E>, started?: number): void {
    if (started !== undefined) this.#record(g, started);
    if (g.pending.length === 0) {
      g.where = 'idle';
      return;
    }
    if (g.active >= this.#concurrency) {
      g.where = 'full';
      return;
    }
    const wait = this.#limiter ? windowWait(g.starts, Date.now(), this.#limiter) : 0;
    if (wait > 0) {
      g.where = 'limited';
      g.timer = setTimeout(() => {
        g.timer = undefined;
        g.where = 'idle';
        this.#place(name, g);
        this.#wake();
      }, wait);
      return;
    }
    g.where = 'ring';
    this.#ring.push(name);
  }

  /** A group with nothing waiting, running or remembered is dropped from the book. */
  #forget(name: string, g: Group<E>): void {
    if (g.pending.length > 0 || g.active > 0 || g.where !== 'idle') return;
    const last = g.starts.at(-1);
    if (this.#limiter && last !== undefined && last > Date.now() - this.#limiter.duration) return;
    this.#groups.delete(name);
  }
}
