// Workers' stdout and stderr, passed through the supervisor (when it has a
// control name, or output is prefixed, timed or JSON): lines go out unchanged
// (or formatted) on the supervisor's own stdout/stderr, and the recent ones
// stay in a bounded ring per worker slot for `spindle logs`, which can also
// follow new lines.
//
// Cost: the pass-through path moves Buffers — no decoding, no per-line work —
// and writes only whole lines (a line is never interleaved with another
// worker's); the ring keeps those same Buffers. What arrives within one turn
// of the event loop goes out in one write: under load the workers' many small
// writes cost the supervisor one read each but far fewer writes. Lines are
// split and decoded only when someone follows, when a format needs it, or
// when `logs` asks.
import type { Readable } from 'node:stream';
import { type LogLine, type LogStream, toRecord } from '../control/log.js';
import { Deque } from '../pool/deque.js';

/** How lines are printed. */
export interface OutputFormat {
  /** 'text': the line itself; 'json': one LogRecord per line (control/log.ts). */
  format: 'text' | 'json';
  /** Text: an ISO time in front of every line. */
  time: boolean;
  /** Text: `[id] ` in front of every worker line. */
  prefix: boolean;
}

/** Bytes of output kept per worker slot (and for the supervisor's own lines). */
export const RING_BYTES = 256 * 1024;
/** What one kept block costs besides its bytes (object, Buffer header): counted so that many tiny lines stay bounded too. */
const BLOCK_OVERHEAD = 128;
/** A line longer than this without a newline is passed on in pieces of this size. */
export const MAX_LINE = 64 * 1024;

const NL = 10;

interface Block {
  seq: number;
  time: number;
  pid: number;
  stream: LogStream;
  /** Whole lines, each ending with '\n'. */
  bytes: Buffer;
}

class Ring {
  readonly blocks = new Deque<Block>();
  size = 0;

  add(block: Block): void {
    let { bytes } = block;
    if (bytes.length > RING_BYTES) {
      // Keep the end of an enormous block, from a line boundary.
      const from = bytes.indexOf(NL, bytes.length - RING_BYTES);
      bytes = bytes.subarray(from + 1);
      if (bytes.length === 0) return;
      block = { ...block, bytes };
    }
    this.blocks.push(block);
    this.size += bytes.length + BLOCK_OVERHEAD;
    while (this.size > RING_BYTES && this.blocks.length > 1) {
      const old = this.blocks.shift()!;
      this.size -= old.bytes.length + BLOCK_OVERHEAD;
    }
  }
}

type Follower = { fn: (line: LogLine) => void; worker: number | undefined };

function splitLines(block: Block, worker: number | null): LogLine[] {
  const text = block.bytes.toString('utf8');
  const parts = text.split('\n');
  parts.pop(); // after the last '\n'
  return parts.map((t) => ({ time: block.time, worker, pid: block.pid, stream: block.stream, text: t }));
}

/** Collects what is written to one stream within a turn of the event loop and writes it at once. */
class Batch {
  #parts: (Buffer | string)[] = [];
  #scheduled = false;
  #flush = () => this.flush();

  constructor(private readonly to: NodeJS.WritableStream) {}

  push(data: Buffer | string): void {
    this.#parts.push(data);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#flush);
  }

  flush(): void {
    this.#scheduled = false;
    const parts = this.#parts;
    if (parts.length === 0) return;
    this.#parts = [];
    if (parts.length === 1) this.to.write(parts[0]!);
    else if (parts.every((p) => typeof p !== 'string')) this.to.write(Buffer.concat(parts as Buffer[]));
    else this.to.write(parts.join(''));
  }
}

/** The output of every worker of one supervisor. */
export class WorkerOutput {
  #rings = new Map<number, Ring>(); // slot id → ring; 0 = the supervisor's own lines
  #followers = new Set<Follower>();
  #seq = 0;
  #raw: boolean;
  #stdout: Batch;
  #stderr: Batch;
  #onExit = () => this.flush();

  constructor(
    private readonly options: OutputFormat,
    /** Where lines go: the supervisor's own stdout and stderr. */
    sinks: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
  ) {
    this.#raw = options.format === 'text' && !options.time && !options.prefix;
    this.#stdout = new Batch(sinks.stdout);
    this.#stderr = new Batch(sinks.stderr);
    // Lines read in the last turn before the process exits still go out.
    process.once('exit', this.#onExit);
  }

  /** Writes what is batched now (at exit, and before each of the supervisor's own lines, to keep the order). */
  flush(): void {
    this.#stdout.flush();
    this.#stderr.flush();
  }

  /** The supervisor closed: write what is left and stop watching for the process's exit. */
  dispose(): void {
    this.flush();
    process.off('exit', this.#onExit);
  }

  /** Passes a worker's piped streams through (`id` null: the process's own output, kept with its own lines). */
  attach(id: number | null, pid: number, stdout: Readable | null, stderr: Readable | null): void {
    if (stdout) this.#pipe(id, pid, 'stdout', stdout, this.#stdout);
    if (stderr) this.#pipe(id, pid, 'stderr', stderr, this.#stderr);
  }

  #pipe(id: number | null, pid: number, stream: 'stdout' | 'stderr', from: Readable, to: Batch): void {
    let carry: Buffer | undefined;
    const lines = (bytes: Buffer) => this.#lines(id, pid, stream, bytes, to);
    from.on('data', (chunk: Buffer) => {
      const last = chunk.lastIndexOf(NL);
      if (last === -1) {
        carry = carry ? Buffer.concat([carry, chunk]) : chunk;
        if (carry.length >= MAX_LINE) {
          lines(Buffer.concat([carry, Buffer.from('\n')]));
          carry = undefined;
        }
        return;
      }
      const whole = last === chunk.length - 1 ? chunk : chunk.subarray(0, last + 1);
      lines(carry ? Buffer.concat([carry, whole]) : whole);
      carry = last === chunk.length - 1 ? undefined : chunk.subarray(last + 1);
    });
    from.on('end', () => {
      if (carry) lines(Buffer.concat([carry, Buffer.from('\n')]));
      carry = undefined;
    });
  }

  #lines(id: number | null, pid: number, stream: LogStream, bytes: Buffer, to: Batch): void {
    const block: Block = { seq: ++this.#seq, time: Date.now(), pid, stream, bytes };
    let ring = this.#rings.get(id ?? 0);
    if (!ring) this.#rings.set(id ?? 0, (ring = new Ring()));
    ring.add(block);
    let split: LogLine[] | undefined;
    if (this.#raw) to.push(bytes);
    else to.push(this.#format((split = splitLines(block, id))));
    if (this.#followers.size > 0) this.#notify(split ?? splitLines(block, id), id);
  }

  #format(lines: LogLine[]): string {
    const { format, time, prefix } = this.options;
    let out = '';
    for (const l of lines) {
      if (format === 'json') out += `${JSON.stringify(toRecord(l))}\n`;
      else out += `${time ? `${new Date(l.time).toISOString()} ` : ''}${prefix ? `[${l.worker}] ` : ''}${l.text}\n`;
    }
    return out;
  }

  #notify(lines: LogLine[], worker: number | null): void {
    for (const f of this.#followers) {
      if (f.worker !== undefined && f.worker !== worker) continue;
      for (const l of lines) {
        try {
          f.fn(l);
        } catch {
          // a follower's failure is its own (the socket side never throws)
        }
      }
    }
  }

  /** Keeps one of the supervisor's own log lines (it was printed by the logger already). */
  supervisorLine(text: string): void {
    const bytes = Buffer.from(`${text.replaceAll('\n', ' ')}\n`);
    const block: Block = { seq: ++this.#seq, time: Date.now(), pid: process.pid, stream: 'spindle', bytes };
    let ring = this.#rings.get(0);
    if (!ring) this.#rings.set(0, (ring = new Ring()));
    ring.add(block);
    if (this.#followers.size > 0) this.#notify(splitLines(block, null), null);
  }

  /** The last `n` lines (of worker `worker`, or of all workers and the supervisor), oldest first. */
  tail(n: number, worker: number | undefined): LogLine[] {
    if (n <= 0) return [];
    const blocks: [Block, number | null][] = [];
    for (const [id, ring] of this.#rings) {
      if (worker !== undefined && id !== worker) continue;
      ring.blocks.forEach((b) => {
        blocks.push([b, id === 0 ? null : id]);
      });
    }
    blocks.sort((a, b) => a[0].seq - b[0].seq);
    const out: LogLine[][] = [];
    let count = 0;
    for (let i = blocks.length - 1; i >= 0 && count < n; i--) {
      const lines = splitLines(blocks[i]![0], blocks[i]![1]);
      out.push(lines);
      count += lines.length;
    }
    return out.reverse().flat().slice(-n);
  }

  /** Calls `fn` for each new line; returns a function that stops. */
  follow(fn: (line: LogLine) => void, worker: number | undefined): () => void {
    const f: Follower = { fn, worker };
    this.#followers.add(f);
    return () => void this.#followers.delete(f);
  }

  /** Drops the ring of a slot that is gone (scaled down). */
  forget(id: number): void {
    this.#rings.delete(id);
  }
}
