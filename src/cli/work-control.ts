// `spindle work`'s control plane: the process's own output kept in a ring
// (and formatted by --log-format/--log-time), and the ControlTarget the
// control socket serves, each command meaning the node's pool: status lists
// its workers, reload replaces them, scale sets their number, stop closes
// the node gracefully, logs is this process's output.
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { type OutputFormat, WorkerOutput } from '../cluster/output.js';
import type { LogLine } from '../control/log.js';
import type { ControlStatusCommon, ControlTarget, ScaleRequest, StopResult } from '../control/types.js';
import { PoolClosedError } from '../errors/index.js';
import type { WorkHandle, WorkStatus } from '../queue/work.js';
import { invalid, MAX_WORKERS } from '../util/validate.js';

type Write = (chunk: string | Uint8Array, ...rest: unknown[]) => boolean;

/** The process's own stdout and stderr, routed through a WorkerOutput (ring, formats) until `restore()`. */
export interface OwnOutput {
  readonly output: WorkerOutput;
  /** Writes one of spindle's own log lines, formatted already, in order with the rest, and keeps it. */
  own(formatted: string, line: string): void;
  /** Puts process.stdout/stderr back (what is pending is written first). */
  restore(): void;
}

/**
 * Routes everything this process writes to stdout and stderr (its own code,
 * the task module's top-level code, worker threads' console, process
 * workers' stderr) through one WorkerOutput: written on as before (or
 * formatted), and the recent lines kept for `spindle logs`.
 */
export function captureOwnOutput(format: OutputFormat): OwnOutput {
  const out = process.stdout;
  const err = process.stderr;
  const writeOut = out.write;
  const writeErr = err.write;
  const sink = (stream: NodeJS.WriteStream, write: Write) =>
    ({ write: (data: string | Buffer) => write.call(stream, data) }) as unknown as NodeJS.WritableStream;
  const output = new WorkerOutput(format, {
    stdout: sink(out, writeOut as Write),
    stderr: sink(err, writeErr as Write),
  });
  const stdout = new EventEmitter();
  const stderr = new EventEmitter();
  output.attach(null, process.pid, stdout as Readable, stderr as Readable);
  const patched = (into: EventEmitter): Write =>
    function write(chunk: string | Uint8Array, ...rest: unknown[]): boolean {
      const encoding = typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : 'utf8';
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      // a copy: the caller may reuse its buffer, and the ring keeps this one
      into.emit('data', typeof chunk === 'string' ? Buffer.from(chunk, encoding) : Buffer.from(chunk));
      if (done) process.nextTick(done);
      return true;
    };
  out.write = patched(stdout) as typeof out.write;
  err.write = patched(stderr) as typeof err.write;
  return {
    output,
    own(formatted, line) {
      output.flush();
      writeErr.call(err, formatted);
      output.supervisorLine(line);
    },
    restore() {
      if (out.write === writeOut) return;
      stdout.emit('end');
      stderr.emit('end');
      output.dispose();
      out.write = writeOut;
      err.write = writeErr;
    },
  };
}

/** What `spindle work`'s control socket serves: the node (once started) and its process's output. */
export class WorkTarget implements ControlTarget {
  readonly kind = 'work' as const;
  #node: WorkHandle | undefined;
  #startedAt = Date.now();
  #stopped: Promise<StopResult> | undefined;

  constructor(
    private readonly name: string,
    private readonly output: WorkerOutput,
    /** Closes the node (the same path as SIGTERM); resolves the result of that close. */
    private readonly close: (grace: number | undefined) => Promise<{ clean: boolean }>,
  ) {}

  /** The node, once work() resolved. */
  set node(node: WorkHandle) {
    this.#node = node;
  }

  #started(what: string): WorkHandle {
    if (!this.#node) throw new PoolClosedError(`Cannot ${what}: the node is still starting`);
    if (this.#node.state !== 'running') throw new PoolClosedError(`Cannot ${what}: the node is stopping`);
    return this.#node;
  }

  status(): WorkStatus | ControlStatusCommon {
    if (!this.#node) {
      const now = Date.now();
      return {
        name: this.name,
        kind: 'work',
        pid: process.pid,
        state: 'starting',
        startedAt: this.#startedAt,
        uptime: now - this.#startedAt,
        ready: 0,
        wanted: 0,
        restarts: 0,
      };
    }
    return { ...this.#node.status(), name: this.name };
  }

  async reload(): Promise<unknown> {
    return this.#started('reload').reload();
  }

  async scale(request: ScaleRequest): Promise<unknown> {
    const node = this.#started('scale');
    if ('workers' in request) return node.scale(request.workers);
    const now = node.pool.options.maxWorkers;
    const n = now + request.by;
    if (n < 1 || n > MAX_WORKERS)
      throw invalid('workers.by', `a change that leaves 1 to ${MAX_WORKERS} workers (now ${now})`, request.by);
    return node.scale(n);
  }

  stop(grace: number | undefined): Promise<StopResult> {
    if (!this.#node) return Promise.reject(new PoolClosedError('Cannot stop: the node is still starting'));
    this.#stopped ??= this.close(grace).then((r) => ({ exitCode: 0, clean: r.clean }));
    return this.#stopped;
  }

  tail(lines: number, worker: number | undefined): LogLine[] {
    return this.output.tail(lines, worker);
  }

  follow(fn: (line: LogLine) => void, worker: number | undefined): () => void {
    return this.output.follow(fn, worker);
  }
}
