// Shared-memory rings between the pool and one worker thread: tasks go in
// through a TaskRing, results whose values are not primitives come back
// through a RecordRing (primitives keep the smaller ResultRing of results.ts).
// Both are single-producer single-consumer byte rings of variable-length
// records; postMessage stays the path for everything the codec's exact mode
// (shared/codec.ts encodeExact) cannot reproduce as structured clone would.
//
// LAYOUT (one SharedArrayBuffer per ring)
//
//   Int32 words, each on its own 64-byte line:
//     HEAD  [0]    bytes consumed, ever (mod 2^32); written by the consumer only
//     TAIL  [16]   bytes published, ever (mod 2^32); written by the producer only
//     SLEEP [32]   task ring: 1 = the worker is not watching, wake it with a notify
//     BELL  [48]   task ring: the word the worker's Atomics.waitAsync sleeps on
//   then DATA bytes (a power of two) of records, each 8-byte aligned:
//     Int32 len      payload bytes; SKIP (-1) = "nothing more on this lap, go to 0"
//     Int32 a, b, c  record fields (task: seq, slot, -; result: slot, ok, -)
//     Float64 x, y   record fields (task: id, -; result: id, runMs)
//     len bytes      payload: one value in the codec's format (task: [name, args]
//                    or [name, args, meta]; result: the value or the wire error)
//   A record never wraps: when it does not fit before the end of DATA, the
//   producer writes SKIP there (a header always fits: positions stay 8-aligned
//   and DATA is a multiple of 32) and the record starts at the next lap.
//
// STATE MACHINE OF A RECORD (position p, p - HEAD < DATA)
//
//   free       p >= TAIL. Only the producer touches its bytes: it writes the
//              header and payload with plain stores while TAIL still says p,
//   published  then Atomics.store(TAIL, p + size): the seq-cst store orders every
//              plain write before it for a consumer that Atomics.loads TAIL.
//   read       the consumer copies it out (decoding copies: nothing it returns
//              aliases the ring) while HEAD <= p,
//   freed      then Atomics.store(HEAD, p + size): the producer, which
//              Atomics.loads HEAD before it writes, never overwrites a record
//              that is being read. A producer may write several records and
//              publish them with one TAIL store (one per send() batch, and
//              one per 64 KiB of records in a long batch: handle.ts).
//
// WAKING (task ring; the worker is the consumer)
//
//   worker, going back to its event loop:  b = load(BELL); store(SLEEP, 1);
//              if load(TAIL) != HEAD: store(SLEEP, 0) and read on
//              else Atomics.waitAsync(BELL, b) (one at a time), and on wake-up
//              store(SLEEP, 0) and read on. If waitAsync finds BELL != b (a
//              notify for a record it already read), start over: never go
//              back to the event loop with SLEEP 0 and no wait armed.
//   pool, after its TAIL store:  if load(SLEEP) == 1 and exchange(SLEEP, 0) == 1:
//              add(BELL, 1); notify(BELL).
//   All of these are seq-cst, so of "the worker's load of TAIL" and "the
//   pool's load of SLEEP" at least one sees the other's store: either the
//   worker sees the record, or the pool notifies; a notify that comes before
//   the waitAsync is registered changed BELL, and waitAsync returns at once.
//   While the worker watches (its short spin after a short task, or while it
//   reads) SLEEP is 0 and the pool pays nothing but one load. The worker's
//   pending waitAsync does not hold its thread open; its port does.
//
// WAKING (record ring; the pool is the consumer): the worker rings the result
// ring's bell (results.ts): exchange(bell, 1) == 0 after its TAIL store posts
// one Bell message per burst, and the pool stores bell = 0 before it reads
// either ring. A result that finds the bell clear before it is written goes
// by Result message instead and sets the bell: the pool reads both rings
// after every Result message, so that message is the burst's wake-up, and
// a record written after it either finds the bell set (the pool has not
// cleared it yet, and will read the record after clearing it) or clear
// (its own exchange then posts a Bell). A lone result thus costs one
// message, as before, and a burst one message in all.
//
// ORDER OF TASKS. Every task a worker is sent gets the next sequence number,
// whichever path it takes: a ring record carries it, a port batch carries
// the first one ([TasksAt, seq, slot, id, name, args, ...]). The worker
// starts tasks strictly in sequence order (entry.ts merges the two streams).
// The pool posts a port batch before it publishes any ring record sent after
// it, so a worker that finds the ring ahead of its next number can take the
// missing batch from its port synchronously (receiveMessageOnPort).
//
// CRASHES. The claim words (claims.ts) decide what a dead worker had
// started; the rings only carry data, and die with the worker. A task's
// life on the shared path, and what a crash (or terminate(), which can stop
// the worker's JavaScript anywhere) at each step means:
//   1. pool: place(): claim word = tag|PENDING (Atomics.store), then the
//      record is written, then TAIL is stored. The word is PENDING before any
//      worker can see the record.
//   2. worker dies before it reads the record, or after reading it but
//      before its claim: the word is PENDING; the pool's exit handling
//      finds startedAt() == 0 and puts the task back at the front of the
//      queue: it runs once, elsewhere.
//   3. worker: claim = CAS tag|PENDING -> tag|RUNNING (start time written
//      first). It loses to a take-back (CAS PENDING -> REVOKED by steal(),
//      abort() or recycle()): the task is skipped here, it runs elsewhere
//      or not at all. A record whose slot was since reused carries the old
//      tag and loses too. Exactly one CAS wins.
//   4. worker dies while the task runs, or after it finished but before the
//      result's TAIL store: the word says RUNNING (or ABORTED); the task
//      fails with ERR_WORKER_CRASHED and is never run again; an unpublished
//      record is never read.
//   5. worker publishes the result (TAIL store, then the bell) before it
//      claims its next task (runner.ts). Dying after that, the result is in
//      shared memory: the pool reads both result rings when the worker's
//      'exit' arrives, before it sorts out the claims, so the task settles
//      with its result and is not counted as crashed.
//   6. pool reads a result: the slot is released only then, so a late or
//      stale record (its task taken back, its slot reused: the id differs)
//      settles nothing.
// Aborts and timeouts of running tasks still go by port message (and the
// ABORTED word); an abort of a task still in the ring is a take-back (3).
import { Decoder, encodeExact } from '../../shared/codec.js';

const HEAD = 0;
const TAIL = 16;
const SLEEP = 32;
const BELL = 48;
const HEADER_BYTES = 256;
const RECORD_HEADER = 32;
const SKIP = -1;

/** The largest payload a record takes; a larger value goes by postMessage. */
export const MAX_RECORD = 16 * 1024;
/** Data bytes per ring (a power of two). */
export const RING_BYTES = 256 * 1024;

export function createRingBuffer(data = RING_BYTES): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + data);
}

/** One decoded record. */
export interface RingRecord {
  a: number;
  b: number;
  x: number;
  y: number;
  value: unknown;
}

export class ByteRing {
  readonly ctl: Int32Array;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly u8: Uint8Array;
  private readonly decoder: Decoder;
  private readonly size: number;
  /** producer: its own TAIL, ahead of the shared one until publish() */
  private tail: number;
  /** producer: the value encode() accepted last */
  private bytes = new Uint8Array(0);
  private length = 0;
  /** producer: the TAIL it published last */
  private shown: number;
  /** producer: where put() wrote its last record */
  private last = 0;
  /** consumer: decoding a record (a reentrant read is refused) */
  private reading = false;

  constructor(buffer: SharedArrayBuffer) {
    this.size = buffer.byteLength - HEADER_BYTES;
    this.ctl = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.i32 = new Int32Array(buffer, HEADER_BYTES);
    this.f64 = new Float64Array(buffer, HEADER_BYTES);
    this.u8 = new Uint8Array(buffer, HEADER_BYTES);
    this.decoder = new Decoder(buffer);
    this.tail = Atomics.load(this.ctl, TAIL);
    this.shown = this.tail;
  }

  // ---------------------------------------------------------------- producer

  /**
   * Encodes `value` for the next put(); false when it is not exactly
   * encodable within MAX_RECORD (the caller takes the postMessage path).
   * The bytes are the codec's scratch memory, shared by every ring of this
   * thread: put() must follow before any other code runs (a structured clone
   * runs user getters, which may send other tasks).
   */
  encode(value: unknown): boolean {
    const enc = encodeExact(value, MAX_RECORD);
    if (enc === undefined) return false;
    this.bytes = enc.bytes;
    this.length = enc.length;
    return true;
  }

  /**
   * Writes a record of the value encode() accepted last (not yet visible:
   * see publish); false when the ring has no room for it.
   */
  put(a: number, b: number, x: number, y: number): boolean {
    const len = this.length;
    const need = (RECORD_HEADER + len + 7) & ~7;
    const size = this.size;
    let t = this.tail;
    let at = t & (size - 1);
    const used = (t - Atomics.load(this.ctl, HEAD)) | 0;
    const skip = at + need > size ? size - at : 0;
    if (used + skip + need > size) return false;
    if (skip > 0) {
      this.i32[at >> 2] = SKIP;
      t = (t + skip) | 0;
      at = 0;
    }
    const i = at >> 2;
    this.last = i;
    this.i32[i] = len;
    this.i32[i + 1] = a;
    this.i32[i + 2] = b;
    this.f64[(at >> 3) + 2] = x;
    this.f64[(at >> 3) + 3] = y;
    this.u8.set(this.bytes.subarray(0, len), at + RECORD_HEADER);
    this.tail = (t + need) | 0;
    return true;
  }

  /** Sets field a of the record put() wrote last; only before publish(). */
  setA(a: number): void {
    this.i32[this.last + 1] = a;
  }

  /** encode() and put() in one. */
  write(a: number, b: number, x: number, y: number, value: unknown): boolean {
    return this.encode(value) && this.put(a, b, x, y);
  }

  /** Makes every record written so far visible to the consumer. */
  publish(): boolean {
    if (this.tail === this.shown) return false;
    Atomics.store(this.ctl, TAIL, this.tail);
    this.shown = this.tail;
    return true;
  }

  /** Producer: bytes written and not yet published. */
  get unpublished(): number {
    return (this.tail - this.shown) | 0;
  }

  /** Task ring, pool side, after publish(): wakes the worker if it sleeps. */
  wake(): void {
    const ctl = this.ctl;
    if (Atomics.load(ctl, SLEEP) === 1 && Atomics.exchange(ctl, SLEEP, 0) === 1) {
      Atomics.add(ctl, BELL, 1);
      Atomics.notify(ctl, BELL, 1);
    }
  }

  // ---------------------------------------------------------------- consumer

  /** True when a published record waits. */
  get pending(): boolean {
    return Atomics.load(this.ctl, TAIL) !== Atomics.load(this.ctl, HEAD);
  }

  /** The first field of the next published record, or undefined (skips SKIP markers). */
  peekA(): number | undefined {
    const at = this.next();
    return at < 0 ? undefined : this.i32[(at >> 2) + 1];
  }

  /**
   * Reads and frees the next published record into `out`; false when there is
   * none. A malformed payload (shared memory someone scribbled on) throws the
   * codec's coded error after the record is freed.
   */
  read(out: RingRecord): boolean {
    if (this.reading) return false;
    const at = this.next();
    if (at < 0) return false;
    const i = at >> 2;
    const len = this.i32[i]!;
    out.a = this.i32[i + 1]!;
    out.b = this.i32[i + 2]!;
    out.x = this.f64[(at >> 3) + 2]!;
    out.y = this.f64[(at >> 3) + 3]!;
    const head = Atomics.load(this.ctl, HEAD);
    const need = (RECORD_HEADER + Math.max(0, Math.min(len, MAX_RECORD)) + 7) & ~7;
    this.reading = true;
    try {
      out.value = this.decoder.decode(HEADER_BYTES + at + RECORD_HEADER, len);
    } finally {
      this.reading = false;
      // head is at `at` in this lap (next() skipped any SKIP)
      Atomics.store(this.ctl, HEAD, (head + need) | 0);
    }
    return true;
  }

  /** Where the next published record starts (frees a SKIP marker on the way), or -1. */
  private next(): number {
    const ctl = this.ctl;
    const tail = Atomics.load(ctl, TAIL);
    let head = Atomics.load(ctl, HEAD);
    if (head === tail) return -1;
    let at = head & (this.size - 1);
    if (this.i32[at >> 2] === SKIP) {
      head = (head + (this.size - at)) | 0;
      Atomics.store(ctl, HEAD, head);
      if (head === tail) return -1;
      at = 0;
    }
    return at;
  }

  /**
   * Task ring, worker side, before it goes back to its event loop: true when
   * a record is already there (read on); else it will be woken (`onWake`, once)
   * when the pool publishes one. True always means a record is pending: when
   * BELL moved since it was loaded (the notify for a record already taken),
   * the wait is armed again on the new value, never reported as a wake-up.
   */
  sleep(onWake: () => void): boolean {
    const ctl = this.ctl;
    for (;;) {
      const bell = Atomics.load(ctl, BELL);
      Atomics.store(ctl, SLEEP, 1);
      if (this.pending) {
        Atomics.store(ctl, SLEEP, 0);
        return true;
      }
      if (this.waiting) return false;
      const r = (
        Atomics as unknown as {
          waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<unknown> | string };
        }
      ).waitAsync(ctl, BELL, bell);
      if (r.async) {
        this.waiting = true;
        (r.value as Promise<unknown>).then(() => {
          this.waiting = false;
          Atomics.store(ctl, SLEEP, 0);
          onWake();
        });
        return false;
      }
      // "not-equal": BELL moved after our load, rung for a record published
      // earlier (perhaps already read). Returning true here without a record
      // left SLEEP at 0 and no wait armed: the pool, seeing SLEEP 0, never
      // notified again and every later record was stranded. Go round: SLEEP
      // is 1 again before `pending` is checked, so the next record is seen or
      // notified. BELL moves once per 1 -> 0 exchange of SLEEP by the pool,
      // which needs our store of 1: the loop ends.
    }
  }

  /** Worker side: watching the ring (reading, or spinning): the pool need not notify. */
  awake(): void {
    Atomics.store(this.ctl, SLEEP, 0);
  }

  private waiting = false;
}
