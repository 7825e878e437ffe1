// A worker process's stdout and stderr, as the pool relays them. stderr is
// always piped through the parent, even when it is shown verbatim: that is how
// the pool tells a death by "JavaScript heap out of memory" from any other
// abort, and what it quotes when a worker dies without saying why.
import type { Readable, Writable } from 'node:stream';
import { prefixLines } from '../../util/prefix.js';

/** Where workers' output goes: the parent's stdout/stderr as is, line-prefixed with the worker id, or nowhere. */
export type StdioMode = 'inherit' | 'prefix' | 'ignore';

const OOM_MARKERS = ['heap out of memory', 'process out of memory'];
const LONGEST_MARKER = Math.max(...OOM_MARKERS.map((m) => m.length));
const TAIL_CHARS = 2048;
const TAIL_LINES = 12;

/** The prefix put before each line of worker `id` in 'prefix' mode. */
export function linePrefix(id: number): string {
  return `[worker ${id}] `;
}

/** Relays one output stream of a worker to `out` according to `mode`. */
export function relay(stream: Readable, out: Writable, mode: StdioMode, id: number): void {
  if (mode === 'prefix') prefixLines(stream, out, linePrefix(id));
  else if (mode === 'inherit') stream.on('data', (chunk: Buffer | string) => out.write(chunk));
  else stream.resume();
}

/** Watches a worker's stderr: relays it, notices an out-of-memory death, keeps its last lines. */
export class StderrWatch {
  /** V8's fatal out-of-memory line, once the worker printed it */
  oom: string | undefined = undefined;
  private tail = '';

  constructor(stream: Readable, mode: StdioMode, id: number) {
    relay(stream, process.stderr, mode, id);
    stream.on('data', (chunk: Buffer | string) => this.scan(typeof chunk === 'string' ? chunk : chunk.toString()));
  }

  private scan(text: string): void {
    const joined = this.tail + text;
    if (this.oom === undefined) {
      const window = joined.slice(-(text.length + LONGEST_MARKER));
      for (const m of OOM_MARKERS) {
        const at = window.includes(m) ? joined.lastIndexOf(m) : -1;
        if (at === -1) continue;
        const end = joined.indexOf('\n', at);
        this.oom = joined.slice(joined.lastIndexOf('\n', at) + 1, end === -1 ? undefined : end).trim();
        break;
      }
    }
    this.tail = joined.slice(-TAIL_CHARS);
  }

  /** The last lines written to stderr, trimmed; '' when there were none. */
  lastLines(): string {
    const lines = this.tail.trimEnd().split('\n');
    return lines.slice(-TAIL_LINES).join('\n').trim();
  }
}
