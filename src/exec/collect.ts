// Keeps a stream's output for the result, bounded by maxBuffer (in bytes), plus a
// small tail of stderr for error messages even when the output itself is not kept.
// Text is decoded chunk by chunk (StringDecoder keeps characters split across chunks
// whole) and joined as a string, which skips copying every byte into one big Buffer.
import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Interleaver } from './interleave.js';

const TAIL_BYTES = 8192;

/** One output stream's kept output. */
export class Collector {
  /** Whether output is still being kept (false once the user took the stream over). */
  keeping: boolean;
  exceeded = false;
  #bytes = 0;
  #chunks: Buffer[] = [];
  #text = '';
  #decoder: StringDecoder | undefined;
  #tail: Buffer | undefined;
  readonly #limit: number;
  readonly #encoding: BufferEncoding | 'buffer';
  readonly #wantTail: boolean;
  readonly #onExceed: () => void;
  /** `all`: what is kept also goes there, in arrival order with the other stream's. */
  readonly #all: Interleaver | undefined;

  constructor(
    keeping: boolean,
    limit: number,
    encoding: BufferEncoding | 'buffer',
    wantTail: boolean,
    onExceed: () => void,
    all?: Interleaver,
  ) {
    this.keeping = keeping;
    this.#all = all;
    this.#limit = limit;
    this.#encoding = encoding;
    this.#wantTail = wantTail;
    this.#onExceed = onExceed;
    if (encoding !== 'buffer') this.#decoder = new StringDecoder(encoding);
  }

  push(chunk: Buffer): void {
    if (this.keeping) {
      if (this.exceeded) return;
      const room = this.#limit - this.#bytes;
      if (chunk.length > room) {
        // Keep the prefix; a character cut at the limit stays in the decoder and is dropped.
        this.#keep(chunk.subarray(0, room));
        this.exceeded = true;
        this.#onExceed();
        return;
      }
      this.#keep(chunk);
      return;
    }
    if (this.#wantTail) {
      const t = this.#tail;
      const joined = t ? Buffer.concat([t, chunk]) : chunk;
      this.#tail = joined.length > TAIL_BYTES ? Buffer.from(joined.subarray(joined.length - TAIL_BYTES)) : joined;
    }
  }

  #keep(chunk: Buffer): void {
    this.#bytes += chunk.length;
    if (this.#all) this.#all.push(this.#wantTail ? 1 : 0, chunk);
    if (this.#decoder) this.#text += this.#decoder.write(chunk);
    else this.#chunks.push(chunk);
  }

  /** Stop keeping output; what was kept so far is dropped (the user reads the stream now). */
  release(): void {
    if (!this.keeping) return;
    if (this.#wantTail) this.#tail = Buffer.from(this.tail());
    this.keeping = false;
    this.#chunks = [];
    this.#text = '';
    this.#bytes = 0;
  }

  /** The kept output: a string (one final newline dropped when `strip`) or a Buffer. */
  value(strip: boolean): string | Buffer {
    if (!this.#decoder) return this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#bytes);
    let text = this.#text;
    if (!this.exceeded) text += this.#decoder.end();
    if (strip && !this.exceeded) {
      if (text.endsWith('\r\n')) return text.slice(0, -2);
      if (text.endsWith('\n')) return text.slice(0, -1);
    }
    return text;
  }

  /** The last bytes seen, kept or not (stderr), for error messages. */
  tail(): Buffer {
    if (!this.keeping) return this.#tail ?? Buffer.alloc(0);
    if (!this.#decoder) {
      const all = Buffer.concat(this.#chunks);
      return all.subarray(Math.max(0, all.length - TAIL_BYTES));
    }
    return Buffer.from(this.#text.slice(-TAIL_BYTES), this.#encoding as BufferEncoding);
  }
}

/**
 * Connects one output stream of the program: into a Collector (keeping it when
 * `keep`), and into the user's `sink` when one was given. A failing stream or sink
 * calls `onError`; passing maxBuffer calls `onOverflow`.
 */
export function wireOutput(
  stream: Readable,
  sink: Writable | undefined,
  o: { buffer: boolean | 'auto'; maxBuffer: number; encoding: BufferEncoding | 'buffer' },
  isStderr: boolean,
  onOverflow: () => void,
  onError: (e: unknown) => void,
  all?: Interleaver,
): Collector {
  const c = new Collector(!sink && o.buffer !== false, o.maxBuffer, o.encoding, isStderr, onOverflow, all);
  stream.on('data', (chunk: Buffer) => c.push(chunk));
  stream.on('error', onError); // a failed read must not crash the process
  if (sink) {
    stream.pipe(sink);
    sink.on('error', (e) => {
      stream.unpipe(sink);
      onError(e);
    });
  }
  return c;
}

/** The last `max` non-empty lines of `text`, for an error message. */
export function lastLines(text: string, max = 10, maxChars = 2000): string {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  let out = lines.slice(-max).join('\n');
  if (out.length > maxChars) out = `…${out.slice(out.length - maxChars)}`;
  return out;
}
