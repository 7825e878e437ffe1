// `all`: stdout and stderr in one output, in the order their chunks arrived. Two
// pipes are read separately, so this is the order *received*, not the order the
// program wrote (a program's stdout is often block-buffered while its stderr is
// not). Each stream's lines are kept whole: a partial line waits for its end, so
// a line of one stream is never cut in two by a chunk of the other.

const NEWLINE = 0x0a;

/** The interleaved output of both streams, as bytes, decoded once at the end. */
export class Interleaver {
  #chunks: Buffer[] = [];
  #bytes = 0;
  /** Each stream's unfinished last line. */
  readonly #pending: [Buffer | undefined, Buffer | undefined] = [undefined, undefined];

  /** A kept chunk of stdout (0) or stderr (1). */
  push(from: 0 | 1, chunk: Buffer): void {
    const held = this.#pending[from];
    const nl = chunk.lastIndexOf(NEWLINE);
    if (nl === -1) {
      this.#pending[from] = held ? Buffer.concat([held, chunk]) : chunk;
      return;
    }
    if (held) this.#add(held);
    this.#add(nl === chunk.length - 1 ? chunk : chunk.subarray(0, nl + 1));
    this.#pending[from] = nl === chunk.length - 1 ? undefined : chunk.subarray(nl + 1);
  }

  #add(b: Buffer): void {
    this.#chunks.push(b);
    this.#bytes += b.length;
  }

  /**
   * Everything, with each stream's unfinished last line at the end (stdout's
   * first), each on a line of its own. Text in `encoding`, or bytes.
   */
  value(encoding: BufferEncoding | 'buffer', strip: boolean): string | Buffer {
    const [out, err] = this.#pending;
    const parts = [...this.#chunks];
    let bytes = this.#bytes;
    if (out) {
      parts.push(out);
      bytes += out.length;
    }
    if (out && err) {
      parts.push(Buffer.from('\n'));
      bytes++;
    }
    if (err) {
      parts.push(err);
      bytes += err.length;
    }
    let all = parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes);
    if (strip && all.at(-1) === NEWLINE) all = all.subarray(0, all.at(-2) === 0x0d ? -2 : -1);
    return encoding === 'buffer' ? all : all.toString(encoding);
  }
}

/**
 * Lines of a finished output for `lines: true`: `\n` and `\r\n` end a line, the
 * last line needs no newline, and no output is no lines.
 */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
  }
  return lines;
}
