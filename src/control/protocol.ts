// The control protocol (docs/control.md): line-delimited JSON on a Unix
// socket, one object per line, UTF-8. A client sends requests
//   {"v":1,"id":7,"cmd":"status","args":{}}
// and gets one reply per request, in any order, carrying the request's id:
//   {"v":1,"id":7,"ok":true,"result":{...}}
//   {"v":1,"id":7,"ok":false,"error":{"name":...,"code":...,"message":...}}
// A streaming request (`logs` with follow) also gets event lines before its
// reply: {"v":1,"id":7,"event":"log","data":{...}}.
// Why lines of JSON: every language has both, `socat`/`nc -U` can speak it by
// hand, and JSON.stringify never emits a raw newline, so framing is trivial.

/** The protocol version this side speaks. A request with another `v` is refused, naming the supported ones. */
export const PROTOCOL_VERSION = 1;
export const SUPPORTED_VERSIONS: readonly number[] = [1];

/** The largest request line the server reads (requests are small; a longer line is refused, never buffered). */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** The largest reply line a client reads. */
export const MAX_REPLY_BYTES = 64 * 1024 * 1024;
/** Connections served at once; more are answered with an error and closed. */
export const MAX_CONNECTIONS = 64;
/** Requests in flight on one connection; more are refused ('busy'). */
export const MAX_IN_FLIGHT = 16;
/** A follower whose socket holds this much unsent output loses lines (and is told how many). */
export const MAX_FOLLOW_BACKLOG = 1024 * 1024;
/** The most lines one `logs` request may ask for. */
export const MAX_LOG_LINES = 100_000;

/** Every command, and the arguments each takes. */
export interface Commands {
  hello: Record<string, never>;
  status: Record<string, never>;
  reload: Record<string, never>;
  scale: { workers?: number | 'auto'; by?: number };
  stop: { grace?: number | string };
  logs: { lines?: number; follow?: boolean; worker?: number };
}
export type Command = keyof Commands;
export const COMMANDS: readonly Command[] = ['hello', 'status', 'reload', 'scale', 'stop', 'logs'];

/** A request id: echoed in the reply. */
export type RequestId = string | number | null;

export interface Request<C extends Command = Command> {
  v: number;
  id: RequestId;
  cmd: C;
  args: Commands[C];
}

export interface OkReply {
  v: number;
  id: RequestId;
  ok: true;
  result: unknown;
}
export interface ErrorReply {
  v: number;
  id: RequestId;
  ok: false;
  /** An error record of src/errors/remote.ts: `name`, `message`, `code`, and the error's own fields in `props`. */
  error: unknown;
}
export interface EventLine {
  v: number;
  id: RequestId;
  event: 'log' | 'dropped';
  data: unknown;
}
export type Reply = OkReply | ErrorReply | EventLine;

/** What `hello` answers. */
export interface Hello {
  protocol: number;
  versions: readonly number[];
  kind: string;
  name: string | null;
  pid: number;
  /** spindle's version. */
  spindle: string;
}

/** One JSON line. */
export function encode(message: unknown): string {
  return `${JSON.stringify(message)}\n`;
}

/**
 * Cuts a byte stream into lines of at most `limit` bytes without ever
 * buffering more: a longer line is reported once through `tooLong` and its
 * bytes are skipped up to the next newline, so the stream stays in sync.
 */
export class LineReader {
  #parts: Buffer[] = [];
  #size = 0;
  #skipping = false;
  stopped = false;

  constructor(
    private readonly limit: number,
    private readonly onLine: (line: string) => void,
    private readonly tooLong: () => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (!this.stopped) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.#skipping) {
        this.#skipping = false;
        continue;
      }
      if (this.#size + piece.length > this.limit) {
        this.#reset();
        this.tooLong();
        continue;
      }
      const line = this.#size === 0 ? piece.toString('utf8') : Buffer.concat([...this.#parts, piece]).toString('utf8');
      this.#reset();
      this.onLine(line);
    }
    if (this.stopped || start >= chunk.length || this.#skipping) return;
    const rest = chunk.subarray(start);
    if (this.#size + rest.length > this.limit) {
      this.#reset();
      this.#skipping = true;
      this.tooLong();
    } else {
      this.#parts.push(rest);
      this.#size += rest.length;
    }
  }

  #reset(): void {
    this.#parts = [];
    this.#size = 0;
  }
}
