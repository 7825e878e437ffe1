// The supervisor's worker slots as one collection: those in service (ids 1 …
// n, the array index is id - 1), those being scaled away while they drain,
// which slot each worker process belongs to (a retiring slot's id may be in
// service again), and the counters that must survive a slot's removal.
import type { ClusterWorkerNotReadyError } from '../errors/index.js';
import { Slot, type SlotHost } from './slot.js';
import type { ClusterWorkerStatus } from './types.js';
import type { WorkerProcess } from './worker-process.js';

export class SlotSet {
  /** In service, id order. */
  active: Slot[];
  /** Scaled away, still draining. */
  readonly retiring = new Set<Slot>();
  #owner = new WeakMap<WorkerProcess, Slot>();
  #retiredRestarts = 0;

  constructor(
    private readonly host: SlotHost,
    count: number,
  ) {
    // Slot ids start at 1 (docs/conventions.md rule 2).
    this.active = Array.from({ length: count }, (_, i) => new Slot(i + 1, host));
  }

  /** Every slot with a worker that may still run: in service, then retiring. */
  get all(): Slot[] {
    return [...this.active, ...this.retiring];
  }

  /** Records that `worker` was started by `slot`. */
  own(worker: WorkerProcess, slot: Slot): void {
    this.#owner.set(worker, slot);
  }

  /** The slot that started `worker`. */
  ownerOf(worker: WorkerProcess): Slot | undefined {
    return this.#owner.get(worker);
  }

  /** True while `slot` is in service (not retiring). */
  inService(slot: Slot): boolean {
    return this.active[slot.id - 1] === slot;
  }

  /** Worker starts after the first ones since start, counting slots scaled away (a counter: never goes down). */
  get restarts(): number {
    let n = this.#retiredRestarts;
    for (const s of this.all) n += s.restarts;
    return n;
  }

  /** The status of every slot, in service first. */
  status(now: number): ClusterWorkerStatus[] {
    return this.all.map((s) => s.status(now));
  }

  /**
   * Adds `count` slots after the last id and starts them all; resolves them,
   * or the first start's error (the added slots are then still in service:
   * the caller retires them).
   */
  async grow(count: number): Promise<{ added: Slot[]; error?: ClusterWorkerNotReadyError }> {
    const first = this.active.length + 1;
    const added = Array.from({ length: count }, (_, i) => new Slot(first + i, this.host));
    this.active.push(...added);
    const results = await Promise.allSettled(added.map((s) => s.start()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    return failed ? { added, error: failed.reason as ClusterWorkerNotReadyError } : { added };
  }

  /**
   * Takes `slots` out of service at once (no new connections, no restarts)
   * and drains their workers by `deadline`; resolves once they are gone.
   * `gone(id)` is called for each id no longer in service afterwards.
   */
  async retire(slots: Slot[], deadline: number, gone: (id: number) => void): Promise<void> {
    const leaving = new Set(slots);
    this.active = this.active.filter((s) => !leaving.has(s));
    for (const s of slots) this.retiring.add(s);
    await Promise.all(slots.map((s) => s.retire(deadline)));
    for (const s of slots) {
      this.retiring.delete(s);
      this.#retiredRestarts += s.restarts;
      if (!this.active.some((x) => x.id === s.id)) gone(s.id);
    }
  }
}
