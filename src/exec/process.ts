// The handle of one running external program: streams, lines, stdin, kill, pipe,
// and a promise of its result. It settles on 'exit' plus a short bounded drain of
// stdout/stderr, never on 'close', so a grandchild holding a pipe cannot hang it.
import { type ChildProcess, spawn as cpSpawn, type SpawnOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { InvalidOptionError } from '../errors/index.js';
import { groupAlive, isSigkill, sendSignal } from '../util/kill.js';
import { type Reapable, track, untrack } from '../util/reaper.js';
import { invalid } from '../util/validate.js';
import { Collector } from './collect.js';
import { formatCommand } from './command.js';
import { waitForDrain } from './drain.js';
import { wireInput } from './input.js';
import { LineIterator } from './lines.js';
import type { Normalized } from './options.js';
import { classify, type ExecResult, type KillReason } from './result.js';

/** Which output `lines()` reads. */
export interface LinesOptions {
  from?: 'stdout' | 'stderr' | 'both';
}

const noop = () => {};

/** node:child_process options with only the keys that are set (its normalisation walks them all). */
function spawnOptions(o: Normalized): SpawnOptions {
  const s: SpawnOptions = { stdio: o.stdio, detached: o.killTree || o.detached, windowsHide: o.windowsHide };
  if (o.cwd !== undefined) s.cwd = o.cwd;
  if (o.env !== undefined) s.env = o.env;
  if (o.shell !== false) s.shell = o.shell;
  if (o.uid !== undefined) s.uid = o.uid;
  if (o.gid !== undefined) s.gid = o.gid;
  if (o.argv0 !== undefined) s.argv0 = o.argv0;
  return s;
}

/** A running (or finished) command. Await it for the result; read it line by line or as streams meanwhile. */
export class ExecProcess<O extends string | Buffer = string> implements PromiseLike<ExecResult<O>> {
  readonly file: string;
  readonly args: readonly string[];
  /** The command as a shell-quoted string, for logs. */
  readonly command: string;
  /** undefined when the program could not be started (or the signal was already aborted). */
  readonly pid: number | undefined;
  readonly #o: Normalized;
  readonly #start = performance.now();
  #child: ChildProcess | undefined;
  #out: Collector | undefined;
  #err: Collector | undefined;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #spawnError: NodeJS.ErrnoException | undefined;
  #reason: KillReason | undefined;
  #cause: unknown;
  #overflowed: 'stdout' | 'stderr' | undefined;
  #forceKilled = false;
  #timeoutTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  #reapable: Reapable | undefined;
  #onAbort: (() => void) | undefined;
  #stdinUsed = false;
  #stdinEnded = false;
  #upstream: ExecProcess<string | Buffer> | undefined;
  #downstreamClosed = false;
  #finished = false;
  #resolve!: (r: ExecResult<O>) => void;
  /** Own outcome, never rejects (the failure is `result.error`). */
  readonly #outcome: Promise<ExecResult<O>>;
  #combined: Promise<ExecResult<O>> | undefined;
  #settled: Promise<ExecResult<O>> | undefined;

  /** @internal Use `spawn()`; the options are already normalized. */
  constructor(file: string, args: readonly string[], o: Normalized) {
    this.file = file;
    this.args = args;
    this.command = formatCommand(file, args);
    this.#o = o;
    this.#outcome = new Promise((r) => (this.#resolve = r));
    if (o.signal?.aborted) {
      this.#reason = 'abort';
      this.#cause = o.signal.reason;
      this.pid = undefined;
      this.#finish();
      return;
    }
    try {
      this.#child = cpSpawn(file, args, spawnOptions(o));
    } catch (e) {
      this.#spawnError = e as NodeJS.ErrnoException;
      this.pid = undefined;
      this.#finish();
      return;
    }
    const child = this.#child;
    this.pid = child.pid;
    child.on('error', (e: NodeJS.ErrnoException) => {
      // After a successful spawn, 'error' only reports a failed kill(); the exit still comes.
      if (child.pid === undefined && !this.#finished) {
        this.#spawnError = e;
        this.#finish();
      }
    });
    if (child.pid === undefined) return;
    child.once('exit', (code, signal) => this.#onExit(code, signal));
    if (!o.detached) {
      this.#reapable = { pid: child.pid, tree: o.killTree, killSignal: o.killSignal, killGrace: o.killGrace };
      track(this.#reapable);
    }
    this.#out = this.#wireOutput(child.stdout, o.sinks[1], 'stdout');
    this.#err = this.#wireOutput(child.stderr, o.sinks[2], 'stderr');
    if (child.stdin) {
      child.stdin.on('error', noop); // EPIPE/ECONNRESET: the program stopped reading; its exit tells the rest
      if (o.input !== undefined) {
        this.#stdinUsed = true;
        wireInput(child.stdin, o.input, (e) => this.#terminate('stream', e));
      }
    }
    if (o.timeout > 0) {
      this.#timeoutTimer = setTimeout(() => this.#terminate('timeout'), o.timeout);
      this.#timeoutTimer.unref();
    }
    if (o.signal) {
      const signal = o.signal;
      this.#onAbort = () => this.#terminate('abort', signal.reason);
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  #wireOutput(stream: Readable | null, sink: Writable | undefined, name: 'stdout' | 'stderr'): Collector | undefined {
    if (!stream) return undefined;
    const keep = !sink && this.#o.buffer !== false;
    const c = new Collector(keep, this.#o.maxBuffer, this.#o.encoding, name === 'stderr', () => {
      this.#overflowed ??= name;
      this.#terminate('maxBuffer');
    });
    stream.on('data', (chunk: Buffer) => c.push(chunk));
    stream.on('error', (e) => this.#terminate('stream', e)); // a failed read must not crash the process
    if (sink) {
      stream.pipe(sink);
      sink.on('error', (e) => {
        stream.unpipe(sink);
        this.#terminate('stream', e);
      });
    }
    return c;
  }

  /** stdin of the program (null unless piped). Using it hands stdin over to you. */
  get stdin(): Writable | null {
    this.#stdinUsed = true;
    return this.#child?.stdin ?? null;
  }

  /** stdout as a stream. Taking it stops the result from keeping stdout (with `buffer: 'auto'`). */
  get stdout(): Readable | null {
    return this.#take('stdout');
  }

  get stderr(): Readable | null {
    return this.#take('stderr');
  }

  #take(name: 'stdout' | 'stderr'): Readable | null {
    const c = name === 'stdout' ? this.#out : this.#err;
    if (c && this.#o.buffer === 'auto') c.release();
    return this.#child?.[name] ?? null;
  }

  /** Lines of stdout (default), stderr, or both interleaved in arrival order; throws the command's failure at the end. */
  lines(options: LinesOptions = {}): AsyncIterableIterator<string> {
    const from = options.from ?? 'stdout';
    if (from !== 'stdout' && from !== 'stderr' && from !== 'both')
      throw invalid('from', "'stdout', 'stderr' or 'both'", from);
    const names = from === 'both' ? (['stdout', 'stderr'] as const) : [from];
    const sources: Readable[] = [];
    for (const n of names) {
      const s = this.#take(n);
      if (s) sources.push(s);
      else if (this.#child && this.#child.pid !== undefined) {
        throw new InvalidOptionError('from', `Cannot read lines of ${n}: it is not piped (stdio ${n} is not 'pipe')`);
      }
    }
    const enc = this.#o.encoding === 'buffer' ? 'utf8' : this.#o.encoding;
    return new LineIterator(sources, enc, async () => {
      await this.#settle();
    });
  }

  /** Writes to stdin; resolves when it may take more (never rejects once the program has gone). */
  write(chunk: string | Uint8Array): Promise<void> {
    const s = this.#stdinFor('write');
    if (!s || s.destroyed) return Promise.resolve();
    if (s.write(chunk)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        s.off('drain', done);
        s.off('close', done);
        resolve();
      };
      s.on('drain', done);
      s.on('close', done);
    });
  }

  /** Closes stdin (after writing `chunk`); returns the handle so `await p.end(data)` gives the result. */
  end(chunk?: string | Uint8Array): this {
    const s = this.#stdinFor('end');
    this.#stdinEnded = true;
    if (s && !s.destroyed) chunk === undefined ? s.end() : s.end(chunk);
    return this;
  }

  /** stdin to write to; undefined when the program never started (its result says why). */
  #stdinFor(what: string): Writable | undefined {
    const s = this.#child?.stdin;
    if (!s) {
      if (this.pid === undefined && (this.#finished || this.#child)) return undefined;
      throw new InvalidOptionError('stdin', `Cannot ${what}() to ${this.command}: its stdin is not 'pipe'`);
    }
    if (this.#stdinEnded || (s.writableEnded && !s.destroyed)) {
      throw new InvalidOptionError('stdin', `Cannot ${what}() to ${this.command}: stdin was already ended`);
    }
    this.#stdinUsed = true;
    return s;
  }

  /**
   * No argument: terminate gracefully (killSignal, then SIGKILL after killGrace), the
   * whole process group. With a signal: just send it (to the group). False if gone.
   */
  kill(signal?: NodeJS.Signals | number): boolean {
    if (!this.#child || this.pid === undefined || this.#exit) return false;
    if (signal === undefined) return this.#terminate('user');
    return sendSignal(this.pid, this.#o.killTree, signal);
  }

  #terminate(reason: KillReason, cause?: unknown): boolean {
    if (this.#finished || this.pid === undefined) return false;
    if (this.#exit) {
      // Output still draining after the exit can overflow maxBuffer or break a sink: say so.
      if (this.#reason === undefined && (reason === 'maxBuffer' || reason === 'stream')) {
        this.#reason = reason;
        this.#cause = cause;
      }
      return false;
    }
    if (this.#reason === undefined) {
      this.#reason = reason;
      this.#cause = cause;
    }
    if (this.#graceTimer) return true; // already on the way down
    const { killSignal, killGrace, killTree } = this.#o;
    const pid = this.pid;
    const first = killGrace === 0 ? 'SIGKILL' : killSignal;
    if (isSigkill(first)) this.#forceKilled = !isSigkill(killSignal);
    sendSignal(pid, killTree, first);
    if (this.#reapable) this.#reapable.killSignal = first;
    if (!isSigkill(first)) {
      this.#graceTimer = setTimeout(() => {
        if (!this.#exit) this.#forceKilled = true;
        sendSignal(pid, killTree, 'SIGKILL');
        this.#release();
      }, killGrace);
    }
    return true;
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.#exit = { code, signal };
    clearTimeout(this.#timeoutTimer);
    // A group we are killing may still hold grandchildren that ignore the first signal:
    // keep the SIGKILL timer (unref'd) for them; otherwise we are done with the group.
    if (this.#graceTimer && this.#o.killTree && this.pid !== undefined && groupAlive(this.pid))
      this.#graceTimer.unref();
    else this.#release();
    const streams = [this.#child?.stdout, this.#child?.stderr].filter((s): s is Readable => !!s);
    waitForDrain(streams, this.#o.sinks.slice(1) as (Writable | undefined)[], () => this.#finish());
  }

  #release(): void {
    clearTimeout(this.#graceTimer);
    if (this.#reapable) untrack(this.#reapable);
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#timeoutTimer);
    if (this.#onAbort) this.#o.signal?.removeEventListener('abort', this.#onAbort);
    if (!this.#exit) this.#release();
    const o = this.#o;
    const out = this.#out;
    const err = this.#err;
    const empty = (o.encoding === 'buffer' ? Buffer.alloc(0) : '') as O;
    const details = {
      command: this.command,
      file: this.file,
      args: this.args,
      stdout: out ? (out.value(o.stripFinalNewline) as O) : empty,
      stderr: err ? (err.value(o.stripFinalNewline) as O) : empty,
      exitCode: this.#exit?.code ?? null,
      signal: this.#exit?.signal ?? null,
      durationMs: performance.now() - this.#start,
      pid: this.pid,
      timedOut: this.#reason === 'timeout',
      isCanceled: this.#reason === 'abort',
      isMaxBuffer: this.#reason === 'maxBuffer',
      forceKilled: this.#forceKilled,
    };
    const error = classify({
      details,
      spawnError: this.#spawnError,
      reason: this.#reason,
      cause: this.#cause,
      timeout: o.timeout,
      killGrace: o.killGrace,
      maxBuffer: o.maxBuffer,
      overflowed: this.#overflowed,
      downstreamClosed: this.#downstreamClosed,
      cwd: o.cwd,
      env: o.env ?? process.env,
      shell: o.shell !== false,
      stderrTail: () => (err ? err.tail().toString('utf8') : ''),
    });
    this.#resolve({ ...details, failed: error !== undefined, ...(error ? { error } : {}) });
  }

  /** Own outcome combined with the upstream of a pipe: the first failing stage is the error. */
  #result(): Promise<ExecResult<O>> {
    this.#combined ??= (async () => {
      const own = await this.#outcome;
      const up = this.#upstream;
      if (!up) return own;
      const from = await up.#result();
      own.pipedFrom = from;
      if (own.error) own.error.pipedFrom = from;
      if (from.failed) return { ...own, failed: true, error: from.error };
      return own;
    })();
    return this.#combined;
  }

  #settle(): Promise<ExecResult<O>> {
    this.#settled ??= this.#result().then((r) => {
      if (r.failed && this.#o.reject) throw r.error;
      return r;
    });
    return this.#settled;
  }

  /** An untouched stdin is closed once you await the result: nobody is going to write to it. */
  #endUnusedStdin(): void {
    if (!this.#stdinUsed && this.#child?.stdin && !this.#child.stdin.destroyed) {
      this.#stdinUsed = true;
      this.#child.stdin.end();
    }
    if (this.#upstream) this.#upstream.#endUnusedStdin();
  }

  // biome-ignore lint/suspicious/noThenProperty: the handle is deliberately awaitable
  then<A = ExecResult<O>, B = never>(
    onFulfilled?: ((r: ExecResult<O>) => A | PromiseLike<A>) | null,
    onRejected?: ((e: any) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.#endUnusedStdin();
    return this.#settle().then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((e: any) => B | PromiseLike<B>) | null): Promise<ExecResult<O> | B> {
    return this.then(undefined, onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<ExecResult<O>> {
    return this.then().finally(onFinally);
  }

  /**
   * Feeds this command's stdout into `target`'s stdin (an ExecProcess or a new command).
   * Returns the target; awaiting it reports a failure of either side. When the target
   * exits first, this side's stdout is cut and the resulting SIGPIPE/EPIPE exit is not
   * an error (as in a shell).
   */
  pipe<T extends string | Buffer>(target: ExecProcess<T>): ExecProcess<T> {
    if (!(target instanceof ExecProcess)) throw invalid('target', 'an ExecProcess (from spawn() or $)', target);
    if (target === (this as unknown) || target.#upstream)
      throw invalid('target', 'a process not piped into yet', target);
    if (target.#stdinUsed && target.#child) {
      throw new InvalidOptionError(
        'target',
        `Cannot pipe into ${target.command}: its stdin is not 'pipe' or already in use`,
      );
    }
    target.#stdinUsed = true;
    target.#upstream = this as unknown as ExecProcess<string | Buffer>;
    const src = this.#take('stdout');
    const dest = target.#child?.stdin;
    if (this.#child && this.pid !== undefined && !src) {
      throw new InvalidOptionError('stdout', `Cannot pipe ${this.command}: its stdout is not 'pipe'`);
    }
    if (target.#child && target.pid !== undefined && !dest) {
      throw new InvalidOptionError('target', `Cannot pipe into ${target.command}: its stdin is not 'pipe'`);
    }
    if (!src || !dest) {
      dest?.end();
      if (src && !dest) this.#cutStdout(src);
      return target;
    }
    src.pipe(dest);
    const cut = () => this.#cutStdout(src);
    if (dest.destroyed) cut();
    else dest.once('close', cut);
    return target;
  }

  #cutStdout(src: Readable): void {
    if (src.readableEnded || src.destroyed) return;
    this.#downstreamClosed = true;
    src.unpipe();
    src.destroy();
  }

  /** Stops this process from keeping ours alive (it still dies with us unless `detached`). */
  unref(): this {
    this.#child?.unref();
    for (const s of [this.#child?.stdin, this.#child?.stdout, this.#child?.stderr])
      (s as { unref?: () => void } | null)?.unref?.();
    return this;
  }

  /** `await using p = spawn(...)`: terminates the command if it still runs and waits for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#terminate('user');
    await this.#outcome;
  }
}
