// A shared ring for primitive results, from one worker thread to the pool.
//
// Most tiny tasks return a number, a boolean, null or undefined. Posting
// each as its own message costs the pool's thread a message receipt and a
// deserialisation per task; written here it costs a few typed-array reads.
// The ring is single-producer (the worker) single-consumer (the pool):
//
//   worker   write record at tail; store tail+1; if exchange(bell, 1) was 0,
//            post one Bell message
//   pool     on Bell: store bell=0, then read every record up to tail and
//            store head
//
// The pool clears the bell before reading, so a record published after its
// read of tail finds bell=0 and rings again: no record is left unseen. A
// record is in shared memory once written, so it outlives a worker that dies
// on its next task: writing here is "flushing" the result. A full ring (the
// pool is behind) or any other value falls back to a Result message.

// Power of two, larger than the most tasks a worker holds in flight
// (pool/worker.ts MAX_AHEAD + concurrency), so it fills only with a very
// high `concurrency`; then results go by message.
const RECORDS = 1024;
const HEAD = 0;
const TAIL = 1;
const BELL = 2;
const HEADER = 4; // Int32 words
const INTS = 4; // [slot, tag, kind, -] per record: keeps the Float64 part 8-byte aligned

/** What a record holds; `value` is only meaningful for NUMBER. */
export const enum Prim {
  Undefined = 0,
  Null = 1,
  False = 2,
  True = 3,
  Number = 4,
}

export function createResultBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER * 4 + RECORDS * INTS * 4 + RECORDS * 2 * 8);
}

export class ResultRing {
  private readonly header: Int32Array;
  private readonly ints: Int32Array;
  private readonly floats: Float64Array; // [value, runMs] per record
  private tail = 0; // writer's own copy

  constructor(buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER);
    this.ints = new Int32Array(buffer, HEADER * 4, RECORDS * INTS);
    this.floats = new Float64Array(buffer, HEADER * 4 + RECORDS * INTS * 4, RECORDS * 2);
    this.tail = Atomics.load(this.header, TAIL);
  }

  // ---- worker side

  /** Writes a primitive result; false when the value does not fit or the ring is full. */
  write(slot: number, tag: number, value: unknown, runMs: number, ring: () => void): boolean {
    let kind: Prim;
    if (typeof value === 'number') kind = Prim.Number;
    else if (value === undefined) kind = Prim.Undefined;
    else if (value === null) kind = Prim.Null;
    else if (value === true) kind = Prim.True;
    else if (value === false) kind = Prim.False;
    else return false;
    const t = this.tail;
    if (((t - Atomics.load(this.header, HEAD)) | 0) >= RECORDS) return false;
    const i = t & (RECORDS - 1);
    this.ints[i * INTS] = slot;
    this.ints[i * INTS + 1] = tag;
    this.ints[i * INTS + 2] = kind;
    this.floats[i * 2] = kind === Prim.Number ? (value as number) : 0;
    this.floats[i * 2 + 1] = runMs;
    this.tail = (t + 1) | 0;
    Atomics.store(this.header, TAIL, this.tail);
    if (Atomics.exchange(this.header, BELL, 1) === 0) ring();
    return true;
  }

  /**
   * Rings the bell for a record published elsewhere (ring.ts): one Bell per
   * burst for both rings, and the pool clears it before it reads either.
   */
  ring(ring: () => void): void {
    if (Atomics.exchange(this.header, BELL, 1) === 0) ring();
  }

  /**
   * Worker side, shared path: true when the pool is not about to read the
   * rings (the bell is clear); the bell is then set, and the caller's Result
   * message rings it (the pool reads the rings after each Result message).
   */
  claimBell(): boolean {
    if (Atomics.load(this.header, BELL) !== 0) return false;
    Atomics.store(this.header, BELL, 1);
    return true;
  }

  // ---- pool side

  /** Reads every published record, oldest first. */
  read(each: (slot: number, tag: number, value: unknown, runMs: number) => void): void {
    Atomics.store(this.header, BELL, 0);
    let h = Atomics.load(this.header, HEAD);
    const t = Atomics.load(this.header, TAIL);
    while (h !== t) {
      const i = h & (RECORDS - 1);
      const kind = this.ints[i * INTS + 2] as Prim;
      const value =
        kind === Prim.Number
          ? this.floats[i * 2]
          : kind === Prim.True
            ? true
            : kind === Prim.False
              ? false
              : kind === Prim.Null
                ? null
                : undefined;
      const slot = this.ints[i * INTS]!;
      const tag = this.ints[i * INTS + 1]!;
      const runMs = this.floats[i * 2 + 1]!;
      h = (h + 1) | 0;
      // publish progress before calling out: the callback may run user code
      Atomics.store(this.header, HEAD, h);
      each(slot, tag, value, runMs);
    }
  }
}
