// Keeps a stream's output for the result, bounded by maxBuffer, plus a small tail of
// stderr for error messages even when the output itself is not kept.

const TAIL_BYTES = 8192;

/** One output stream's kept bytes. */
export class Collector {
  chunks: Buffer[] = [];
  bytes = 0;
  /** Whether output is still being kept (false once the user took the stream over). */
  keeping: boolean;
  exceeded = false;
  #tail: Buffer | undefined;
  readonly #limit: number;
  readonly #wantTail: boolean;
  readonly #onExceed: () => void;

  constructor(keeping: boolean, limit: number, wantTail: boolean, onExceed: () => void) {
    this.keeping = keeping;
    this.#limit = limit;
    this.#wantTail = wantTail;
    this.#onExceed = onExceed;
  }

  push(chunk: Buffer): void {
    if (this.keeping && !this.exceeded) {
      const room = this.#limit - this.bytes;
      if (chunk.length <= room) {
        this.chunks.push(chunk);
        this.bytes += chunk.length;
        return;
      }
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.bytes = this.#limit;
      this.exceeded = true;
      this.#onExceed();
    }
    if (this.#wantTail && !this.keeping) {
      const t = this.#tail;
      const joined = t ? Buffer.concat([t, chunk]) : chunk;
      this.#tail = joined.length > TAIL_BYTES ? Buffer.from(joined.subarray(joined.length - TAIL_BYTES)) : joined;
    }
  }

  /** Stop keeping output; what was kept so far is dropped (the user reads the stream now). */
  release(): void {
    if (!this.keeping) return;
    if (this.#wantTail) {
      const all = Buffer.concat(this.chunks);
      this.#tail = Buffer.from(all.subarray(Math.max(0, all.length - TAIL_BYTES)));
    }
    this.keeping = false;
    this.chunks = [];
    this.bytes = 0;
  }

  /** Kept bytes as one Buffer. */
  buffer(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bytes);
  }

  /** The last bytes seen, kept or not (stderr only), for error messages. */
  tail(): Buffer {
    if (this.keeping) {
      const all = this.buffer();
      return all.subarray(Math.max(0, all.length - TAIL_BYTES));
    }
    return this.#tail ?? Buffer.alloc(0);
  }
}

/** Decodes kept bytes; a multi-byte character cut by maxBuffer is dropped rather than mangled. */
export function decode(
  buf: Buffer,
  encoding: BufferEncoding | 'buffer',
  cut: boolean,
  strip: boolean,
): string | Buffer {
  if (encoding === 'buffer') return buf;
  let text: string;
  if (cut && (encoding === 'utf8' || encoding === 'utf-8')) {
    text = buf.subarray(0, completeUtf8Length(buf)).toString('utf8');
  } else text = buf.toString(encoding);
  if (strip && !cut) {
    if (text.endsWith('\r\n')) return text.slice(0, -2);
    if (text.endsWith('\n')) return text.slice(0, -1);
  }
  return text;
}

/** Length of `buf` without a trailing incomplete UTF-8 sequence. */
function completeUtf8Length(buf: Buffer): number {
  const n = buf.length;
  for (let back = 1; back <= Math.min(4, n); back++) {
    const b = buf[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

/** The last `max` non-empty lines of `text`, for an error message. */
export function lastLines(text: string, max = 10, maxChars = 2000): string {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  let out = lines.slice(-max).join('\n');
  if (out.length > maxChars) out = `…${out.slice(out.length - maxChars)}`;
  return out;
}
