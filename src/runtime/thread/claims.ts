// Shared claim words between the pool and one worker thread.
//
// Every task in flight on a worker owns a slot. Its word holds
// `tag * 4 + status`, where the tag is the task id's low 29 bits:
//
//   parent sends task      store   tag|PENDING
//   worker starts it       CAS     tag|PENDING -> tag|RUNNING   (fails: skip it)
//   parent takes it back   CAS     tag|PENDING -> tag|REVOKED   (fails: it started)
//   parent aborts it       CAS     tag|RUNNING -> tag|ABORTED   (sync code can poll)
//
// Exactly one of "worker starts" and "parent takes back" wins the CAS, so a
// task taken back for another worker can never also run here, and after a
// crash the words say which tasks had started (crashed with it) and which had
// not (safe to run elsewhere). The tag makes a stale task that arrives after
// its slot was reused fail its CAS. The worker writes the start time before
// its CAS, so a parent that sees RUNNING also sees the right start time.

export const PENDING = 1;
export const RUNNING = 2;
export const REVOKED = 3;
export const ABORTED = 4;
const TAG = 8; // word = tag * TAG + status

/** Shared memory for `slots` claim words plus their start times. */
export function createClaimBuffer(slots: number): SharedArrayBuffer {
  const words = Math.ceil((slots * 4) / 8) * 8;
  return new SharedArrayBuffer(words + slots * 8);
}

export class Claims {
  readonly words: Int32Array;
  readonly starts: Float64Array;
  constructor(buffer: SharedArrayBuffer, slots: number) {
    this.words = new Int32Array(buffer, 0, slots);
    this.starts = new Float64Array(buffer, Math.ceil((slots * 4) / 8) * 8, slots);
  }

  // ---- parent side
  offer(slot: number, tag: number): void {
    Atomics.store(this.words, slot, tag * TAG + PENDING);
  }
  takeBack(slot: number, tag: number): boolean {
    const pending = tag * TAG + PENDING;
    return Atomics.compareExchange(this.words, slot, pending, tag * TAG + REVOKED) === pending;
  }
  markAborted(slot: number, tag: number): void {
    Atomics.compareExchange(this.words, slot, tag * TAG + RUNNING, tag * TAG + ABORTED);
  }
  startedAt(slot: number, tag: number): number {
    const w = Atomics.load(this.words, slot);
    return w === tag * TAG + RUNNING || w === tag * TAG + ABORTED ? this.starts[slot]! : 0;
  }

  // ---- worker side
  claim(slot: number, tag: number): boolean {
    this.starts[slot] = performance.timeOrigin + performance.now();
    const pending = tag * TAG + PENDING;
    return Atomics.compareExchange(this.words, slot, pending, tag * TAG + RUNNING) === pending;
  }
  isAborted(slot: number, tag: number): boolean {
    return Atomics.load(this.words, slot) === tag * TAG + ABORTED;
  }
}
