// The tasks in flight on one worker process, in send order, and which of them
// may have started.
//
// A process shares no memory with the pool, so nothing says exactly when the
// child started a task. The child's runner makes it inferable: it starts tasks
// in the order they were sent, at most `concurrency` at a time, and writes out
// each result before it starts the next task. So, seen from here, the tasks
// that may have started are the first `concurrency` unfinished ones in send
// order; a task becomes one of them when it is sent (if there is room), when
// the worker says it is ready, or when a result frees a place, and that moment
// is taken as its start (timeouts count from it). Tasks further back cannot
// have started: after a crash they run elsewhere. Tasks sent once the child is
// known to be gone are sealed off and never count as started. The list is
// doubly linked through slot indexes, so every operation is O(1), however
// results arrive.

const NONE = -1;

/** Tasks this bookkeeping holds: a slot assigned here and an id. */
export interface Slotted {
  slot: number;
  readonly id: number;
}

const now = (): number => performance.timeOrigin + performance.now();

/** Slots made at first; more are made (doubling) as needed, up to the bound. */
const INITIAL_SLOTS = 16;

export class Inflight<T extends Slotted> {
  private readonly bySlot: (T | undefined)[] = [];
  private next: Int32Array;
  private prev: Int32Array;
  private startAt: Float64Array;
  /** 1 for tasks added after seal(): they never reached a live child */
  private dead: Uint8Array;
  private readonly free: number[] = [];
  /** slots made so far (≤ maxSlots) */
  private made = 0;
  private first = NONE;
  private last = NONE;
  /** first task not yet counted as started (NONE: all are) */
  private frontier = NONE;
  /** tasks counted as started and not finished */
  private running = 0;
  private sealed = false;
  /** no task starts before the worker said it is ready */
  private open = false;
  size = 0;

  constructor(
    private readonly maxSlots: number,
    private readonly concurrency: number,
  ) {
    const n = Math.min(maxSlots, INITIAL_SLOTS);
    this.next = new Int32Array(n);
    this.prev = new Int32Array(n);
    this.startAt = new Float64Array(n);
    this.dead = new Uint8Array(n);
  }

  /** Appends `t` (assigning its slot); it may start at once if there is room. */
  add(t: T): void {
    const slot = this.free.pop() ?? this.newSlot();
    t.slot = slot;
    this.bySlot[slot] = t;
    this.startAt[slot] = 0;
    this.next[slot] = NONE;
    this.prev[slot] = this.last;
    if (this.last === NONE) this.first = slot;
    else this.next[this.last] = slot;
    this.last = slot;
    this.size++;
    this.dead[slot] = this.sealed ? 1 : 0;
    if (this.frontier === NONE) this.frontier = slot;
    this.advance();
  }

  /** The task in `slot` if it is `id` (a stale or foreign message finds nothing). */
  find(slot: number, id: number): T | undefined {
    const t = this.bySlot[slot];
    return t !== undefined && t.id === id ? t : undefined;
  }

  /** `t` finished (or never went out): unlinks it and lets the next one start. */
  remove(t: T): boolean {
    const slot = t.slot;
    if (slot < 0 || this.bySlot[slot] !== t) return false;
    const n = this.next[slot]!;
    const p = this.prev[slot]!;
    if (p === NONE) this.first = n;
    else this.next[p] = n;
    if (n === NONE) this.last = p;
    else this.prev[n] = p;
    if (this.frontier === slot) this.frontier = n;
    if (this.startAt[slot]! > 0) this.running--;
    this.bySlot[slot] = undefined;
    this.free.push(slot);
    this.size--;
    this.advance();
    return true;
  }

  /** When `t` may have started (ms since epoch), or 0 when it cannot have. */
  startedAt(t: T): number {
    return t.slot >= 0 && this.bySlot[t.slot] === t ? this.startAt[t.slot]! : 0;
  }

  /** The worker is ready: tasks start from now on (ready comes before any result). */
  ready(): void {
    this.open = true;
    this.advance();
  }

  /**
   * The child is gone: tasks added from now on can never start. Those sent
   * before still can, as results the child wrote before dying arrive.
   */
  seal(): void {
    this.sealed = true;
  }

  /** The tasks that may be running now, oldest first. */
  started(): T[] {
    const out: T[] = [];
    for (let s = this.first; s !== NONE && s !== this.frontier; s = this.next[s]!)
      if (this.startAt[s]! > 0) out.push(this.bySlot[s]!);
    return out;
  }

  /** Tasks in flight, oldest first. */
  list(): T[] {
    const out: T[] = [];
    for (let s = this.first; s !== NONE; s = this.next[s]!) out.push(this.bySlot[s]!);
    return out;
  }

  /** A slot never used before, growing the arrays when they are full. */
  private newSlot(): number {
    if (this.made >= this.maxSlots) throw new Error('spindle: worker has no free slot (pool bookkeeping bug)');
    if (this.made === this.next.length) {
      const n = Math.min(this.maxSlots, this.next.length * 2);
      const grow = <A extends Int32Array | Float64Array | Uint8Array>(old: A, made: A): A => {
        made.set(old);
        return made;
      };
      this.next = grow(this.next, new Int32Array(n));
      this.prev = grow(this.prev, new Int32Array(n));
      this.startAt = grow(this.startAt, new Float64Array(n));
      this.dead = grow(this.dead, new Uint8Array(n));
    }
    this.bySlot.push(undefined);
    return this.made++;
  }

  private advance(): void {
    if (!this.open) return;
    while (this.running < this.concurrency && this.frontier !== NONE && this.dead[this.frontier] === 0) {
      this.startAt[this.frontier] = now();
      this.running++;
      this.frontier = this.next[this.frontier]!;
    }
  }
}
