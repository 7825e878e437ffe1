// The handle of one running external program: its output as lines or streams, its
// stdin, kill, pipe, and a promise of its result. It settles on 'exit' plus a short
// bounded drain of stdout/stderr, never on 'close', so a grandchild holding a pipe
// cannot hang it. How a program is ended lives in termination.ts; what its output
// keeps, in collect.ts; how the outcome becomes a result or an error, in result.ts.
import { type ChildProcess, spawn as cpSpawn, type SpawnOptions } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { type ExecErrorDetails, InvalidOptionError } from '../errors/index.js';
import { sendSignal } from '../util/kill.js';
import { knownOptions } from '../util/known.js';
import { checkOneOf, invalid } from '../util/validate.js';
import { type Collector, wireOutput } from './collect.js';
import { formatCommand } from './command.js';
import { waitForDrain } from './drain.js';
import { closeFiles, type FileFailure, openFiles } from './files.js';
import { wireInput } from './input.js';
import { Interleaver, splitLines } from './interleave.js';
import { MessageIterator, waitForChannel } from './ipc.js';
import { LineIterator } from './lines.js';
import { checkKillSignal, type NodeStdio, type Normalized } from './options.js';
import { classify, type ExecResult, type Output } from './result.js';
import { Termination } from './termination.js';
import { logOutput, nextLogId } from './verbose.js';

/** Which output `lines()` reads: one stream, or `'all'`: both, interleaved in arrival order. */
export interface LinesOptions {
  from?: 'stdout' | 'stderr' | 'all';
}

/** Which output `readable()` hands over. */
export interface ReadableOptions {
  from?: 'stdout' | 'stderr';
}

type OutputName = 'stdout' | 'stderr';

const noop = () => {};
const FROM = new Set(['from']);

/** node:child_process options with only the keys that are set (its normalisation walks them all). */
function spawnOptions(o: Normalized, stdio: NodeStdio[]): SpawnOptions {
  const s: SpawnOptions = {
    stdio: stdio as SpawnOptions['stdio'],
    detached: o.killTree || o.detached,
    windowsHide: o.windowsHide,
  };
  if (o.ipc) s.serialization = o.serialization;
  if (o.cwd !== undefined) s.cwd = o.cwd;
  if (o.env !== undefined) s.env = o.env;
  if (o.shell !== false) s.shell = o.shell;
  if (o.uid !== undefined) s.uid = o.uid;
  if (o.gid !== undefined) s.gid = o.gid;
  if (o.argv0 !== undefined) s.argv0 = o.argv0;
  return s;
}

/** What a shell is given: `file` and `args` joined with spaces, as node:child_process does. */
function shellLine(file: string, args: readonly string[]): string {
  return args.length === 0 ? file : `${file} ${args.join(' ')}`;
}

function checkChunk(chunk: unknown): void {
  if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) throw invalid('chunk', 'a string or bytes', chunk);
}

/** A readable stream that has already ended, for a program that never started. */
function ended(): Readable {
  return new Readable({
    read() {
      this.push(null);
    },
  });
}

/** A running (or finished) command. Await it for the result; read it line by line or as streams meanwhile. */
export class ExecProcess<O extends Output = string> implements PromiseLike<ExecResult<O>> {
  readonly file: string;
  readonly args: readonly string[];
  /** What ran: `file` and `args` shell-quoted for reading, or with `shell`, the exact command line the shell got. */
  readonly command: string;
  /** undefined when the program could not be started (or the signal was already aborted). */
  readonly pid: number | undefined;
  readonly #o: Normalized;
  readonly #start = performance.now();
  readonly #end: Termination;
  #child: ChildProcess | undefined;
  #out: Collector | undefined;
  #err: Collector | undefined;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #spawnError: NodeJS.ErrnoException | undefined;
  #fileFailure: FileFailure | undefined;
  #all: Interleaver | undefined;
  /** IPC messages kept for the result; undefined when not kept. */
  #messages: unknown[] | undefined;
  #messageIterator: MessageIterator | undefined;
  /** `verbose`: this command's id in the log. */
  #logId = 0;
  #overflowed: OutputName | undefined;
  /** stdin belongs to someone (write(), writable(), input, a pipe): awaiting must not close it. */
  #stdinUsed = false;
  #stdinEnded = false;
  #upstream: ExecProcess<Output> | undefined;
  #downstreamClosed = false;
  #finished = false;
  #resolve!: (r: ExecResult<O>) => void;
  /** Own outcome, never rejects (the failure is `result.error`). */
  readonly #outcome: Promise<ExecResult<O>>;
  #combined: Promise<ExecResult<O>> | undefined;
  #settled: Promise<ExecResult<O>> | undefined;

  /** @internal Use `spawn()`, `run()` or `$`; the options are already normalized. */
  constructor(file: string, args: readonly string[], o: Normalized) {
    this.file = file;
    this.args = args;
    this.#o = o;
    this.#end = new Termination(o);
    this.#outcome = new Promise((r) => (this.#resolve = r));
    if (o.node) {
      // The script runs in Node: what ran is Node with its flags, then the script and its arguments.
      this.file = o.node.path;
      this.args = [...o.node.options, file, ...args];
      this.command = formatCommand(this.file, this.args);
      this.pid = this.#spawn(this.file, this.args);
    } else if (o.shell === false) {
      this.command = formatCommand(file, args);
      this.pid = this.#spawn(file, args);
    } else {
      // Node would join them the same way; handing it one line keeps `command` exactly what ran.
      this.command = shellLine(file, args);
      this.pid = this.#spawn(this.command, []);
    }
  }

  /** Starts the program and connects it; undefined when it did not start (the result says why). */
  #spawn(file: string, args: readonly string[]): number | undefined {
    const o = this.#o;
    if (o.log) {
      this.#logId ||= o.log.id ?? nextLogId();
      o.log.write({ type: 'command', id: this.#logId, command: this.command, time: new Date() });
    }
    if (o.signal?.aborted) {
      this.#end.preempt('abort', o.signal.reason);
      this.#finish();
      return undefined;
    }
    let stdio = o.stdio;
    let fds: (number | undefined)[] | undefined;
    if (o.files) {
      const opened = openFiles(stdio.map((s) => (typeof s === 'object' && 'flags' in s ? s : undefined)));
      if (opened.failure) {
        this.#fileFailure = opened.failure;
        this.#finish();
        return undefined;
      }
      fds = opened.fds;
      stdio = stdio.map((s, i) => fds![i] ?? s);
    }
    let child: ChildProcess;
    try {
      child = cpSpawn(file, args, spawnOptions(o, stdio));
    } catch (e) {
      this.#spawnError = e as NodeJS.ErrnoException;
      this.#finish();
      return undefined;
    } finally {
      if (fds) closeFiles(fds); // the child has its own copies
    }
    this.#child = child;
    child.on('error', (e: NodeJS.ErrnoException) => {
      // After a successful spawn, 'error' only reports a failed kill(); the exit still comes.
      if (child.pid === undefined && !this.#finished) {
        this.#spawnError = e;
        this.#finish();
      }
    });
    const pid = child.pid;
    if (pid === undefined) return undefined;
    child.once('exit', (code, signal) => this.#onExit(code, signal));
    const end = this.#end;
    end.start(pid);
    const onError = (e: unknown) => end.terminate('stream', e);
    const all = o.all ? (this.#all = new Interleaver()) : undefined;
    if (child.stdout) {
      this.#out = wireOutput(child.stdout, o.sinks[1], o, false, () => this.#overflow('stdout'), onError, all);
    }
    if (child.stderr) {
      this.#err = wireOutput(child.stderr, o.sinks[2], o, true, () => this.#overflow('stderr'), onError, all);
    }
    if (o.log?.lines) logOutput(child, o.encoding, o.log, this.#logId, this.command);
    if (o.ipc) this.#wireMessages(child);
    if (child.stdin) {
      child.stdin.on('error', noop); // EPIPE/ECONNRESET: the program stopped reading; its exit tells the rest
      if (o.input !== undefined) {
        this.#stdinUsed = true;
        wireInput(child.stdin, o.input, onError);
      }
    }
    return pid;
  }

  /** `ipc: true`: keep the messages for the result (unless taken by `messages()`) and hand them to the iterator. */
  #wireMessages(child: ChildProcess): void {
    if (this.#o.buffer !== false) this.#messages = [];
    child.on('message', (m: unknown) => {
      this.#messages?.push(m);
      this.#messageIterator?.push(m);
    });
    child.once('disconnect', () => this.#messageIterator?.close());
  }

  #overflow(name: OutputName): void {
    this.#overflowed ??= name;
    this.#end.terminate('maxBuffer');
  }

  /**
   * Hands you the program's stdout (default) or stderr as a stream. With spawn's
   * `buffer: 'auto'`, the result stops keeping that output from now on, so you can
   * stream it for as long as the program runs. Throws when that slot is not piped.
   */
  readable(options?: ReadableOptions): Readable {
    const o = knownOptions('options', options, FROM);
    const from = o?.from === undefined ? 'stdout' : checkOneOf('from', o.from, ['stdout', 'stderr'] as const);
    if (this.#o.stdio[from === 'stdout' ? 1 : 2] !== 'pipe') {
      throw new InvalidOptionError('from', `Cannot read ${from} of ${this.command}: it is not piped (stdio ${from})`);
    }
    return this.#takeOutput(from) ?? ended();
  }

  /**
   * Hands you the program's stdin as a stream; awaiting the result then no longer
   * closes it for you (end it yourself). Throws when stdin is not piped, is fed by
   * `input` or a pipe, or was ended.
   */
  writable(): Writable {
    return (
      this.#stdinFor('writable') ??
      new Writable({
        write(_chunk, _encoding, callback) {
          callback(); // the program never started: its result says why
        },
      })
    );
  }

  /** The output stream `name`, handed over: with buffer 'auto' the result stops keeping it. */
  #takeOutput(name: OutputName): Readable | null {
    const c = name === 'stdout' ? this.#out : this.#err;
    if (c && this.#o.buffer === 'auto') c.release();
    return this.#child?.[name] ?? null;
  }

  /** Lines of stdout (default), stderr, or 'all': both, interleaved in arrival order; throws the command's failure at the end. */
  lines(options?: LinesOptions): AsyncIterableIterator<string> {
    const given = knownOptions('options', options, FROM)?.from;
    const from = given === undefined ? 'stdout' : checkOneOf('from', given, ['stdout', 'stderr', 'all'] as const);
    const names = from === 'all' ? (['stdout', 'stderr'] as const) : [from];
    const sources: Readable[] = [];
    for (const n of names) {
      const s = this.#takeOutput(n);
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

  /**
   * The IPC messages the program sends (`process.send()` in the script), as they
   * arrive; the loop ends when the channel closes, by throwing the command's
   * failure if it failed. With spawn's `buffer: 'auto'`, `result.messages` then
   * stays empty. Throws without `ipc: true`.
   */
  messages(): AsyncIterableIterator<unknown> {
    this.#needIpc('read messages from');
    if (this.#messageIterator) throw new InvalidOptionError('ipc', `Cannot read messages of ${this.command} twice`);
    const it = new MessageIterator(async () => {
      await this.#settle();
    });
    this.#messageIterator = it;
    if (this.#o.buffer === 'auto' && this.#messages) this.#messages = undefined;
    if (!this.#child?.connected) it.close();
    return it;
  }

  /**
   * Sends an IPC message (the script receives it with `process.on('message')`);
   * resolves once it is handed to the channel. Resolves quietly once the program
   * has gone (its result says what happened). Rejects (`ERR_INVALID_OPTION`)
   * without `ipc: true`, or for a message the channel cannot carry.
   */
  send(message: unknown): Promise<void> {
    try {
      this.#needIpc('send() to');
    } catch (e) {
      return Promise.reject(e);
    }
    const c = this.#child;
    if (!c?.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      try {
        c.send(message as never, () => resolve()); // an error here is a closed channel: the result tells
      } catch {
        reject(invalid('message', `a value the IPC channel (${this.#o.serialization}) can carry`, message));
      }
    });
  }

  /** Closes the IPC channel: the script gets 'disconnect' and, if only the channel kept it alive, ends. */
  disconnect(): void {
    this.#needIpc('disconnect');
    if (this.#child?.connected) this.#child.disconnect();
  }

  #needIpc(what: string): void {
    if (!this.#o.ipc)
      throw new InvalidOptionError('ipc', `Cannot ${what} ${this.command}: it was started without \`ipc: true\``);
  }

  /**
   * Writes to stdin; resolves when it may take more. Rejects only for a usage error
   * (stdin not piped or already ended, a chunk that is not text or bytes); once the
   * program has gone it resolves, and the result says what happened.
   */
  write(chunk: string | Uint8Array): Promise<void> {
    let s: Writable | undefined;
    try {
      checkChunk(chunk);
      s = this.#stdinFor('write');
    } catch (e) {
      return Promise.reject(e);
    }
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
    if (chunk !== undefined) checkChunk(chunk);
    const s = this.#stdinFor('end');
    this.#stdinEnded = true;
    if (s && !s.destroyed) chunk === undefined ? s.end() : s.end(chunk);
    return this;
  }

  /** stdin, now yours to write to; undefined when the program never started (its result says why). */
  #stdinFor(what: string): Writable | undefined {
    const cannot = `Cannot ${what}() to ${this.command}`;
    if (this.#o.stdio[0] !== 'pipe') throw new InvalidOptionError('stdin', `${cannot}: its stdin is not 'pipe'`);
    if (this.#o.input !== undefined)
      throw new InvalidOptionError('stdin', `${cannot}: its stdin is fed from \`input\``);
    if (this.#upstream) throw new InvalidOptionError('stdin', `${cannot}: its stdin is fed by a pipe`);
    const s = this.#child?.stdin ?? undefined;
    if (this.#stdinEnded || (s?.writableEnded && !s.destroyed)) {
      throw new InvalidOptionError('stdin', `${cannot}: stdin was already ended`);
    }
    this.#stdinUsed = true;
    return s;
  }

  /**
   * No argument: terminate gracefully (killSignal, then SIGKILL after killGrace), the
   * whole process group. With a signal: just send it (to the group). False if gone.
   */
  kill(signal?: NodeJS.Signals | number): boolean {
    const sig = signal === undefined ? undefined : checkKillSignal('signal', signal);
    if (!this.#child || this.pid === undefined || this.#exit) return false;
    if (sig === undefined) return this.#end.terminate('user');
    return sendSignal(this.pid, this.#o.killTree, sig);
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.#exit = { code, signal };
    this.#end.exited();
    const child = this.#child!;
    const streams = [child.stdout, child.stderr].filter((s): s is Readable => !!s);
    const sinks = this.#o.sinks.slice(1) as (Writable | undefined)[];
    if (!child.connected) {
      waitForDrain(streams, sinks, () => this.#finish());
      return;
    }
    // Messages sent just before the exit can arrive after it: wait for the channel to close too.
    let pending = 2;
    const step = () => {
      if (--pending === 0) this.#finish();
    };
    waitForChannel(child, step);
    waitForDrain(streams, sinks, step);
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    const end = this.#end;
    end.done();
    const o = this.#o;
    const out = this.#out;
    const err = this.#err;
    const empty = o.encoding === 'buffer' ? Buffer.alloc(0) : '';
    let stdout: Output = out ? out.value(o.stripFinalNewline) : empty;
    let stderr: Output = err ? err.value(o.stripFinalNewline) : empty;
    let all: Output | undefined;
    if (o.all) all = this.#all ? this.#all.value(o.encoding, o.stripFinalNewline) : empty;
    if (o.lines) {
      stdout = splitLines(stdout as string);
      stderr = splitLines(stderr as string);
      if (all !== undefined) all = splitLines(all as string);
    }
    const details: ExecErrorDetails = {
      command: this.command,
      file: this.file,
      args: this.args,
      stdout,
      stderr,
      exitCode: this.#exit?.code ?? null,
      signal: this.#exit?.signal ?? null,
      durationMs: performance.now() - this.#start,
      pid: this.pid,
      timedOut: end.reason === 'timeout',
      isCanceled: end.reason === 'abort',
      isMaxBuffer: end.reason === 'maxBuffer',
      forceKilled: end.forceKilled,
    };
    if (all !== undefined) details.all = all;
    if (o.ipc) details.messages = this.#messages ?? [];
    const error = classify({
      details,
      spawnError: this.#spawnError,
      fileFailure: this.#fileFailure,
      reason: end.reason,
      cause: end.cause,
      timeout: o.timeout,
      killGrace: o.killGrace,
      maxBuffer: o.maxBuffer,
      overflowed: this.#overflowed,
      downstreamClosed: this.#downstreamClosed,
      cwd: o.cwd,
      env: o.env ?? process.env,
      shell: o.shell,
      stderrTail: () => (err ? err.tail().toString('utf8') : ''),
    });
    const result = { ...details, failed: error !== undefined, ...(error ? { error } : {}) } as ExecResult<O>;
    o.log?.write({ type: 'end', id: this.#logId, command: this.command, result, time: new Date() });
    this.#resolve(result);
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
  pipe<T extends Output>(target: ExecProcess<T>): ExecProcess<T> {
    if (!(target instanceof ExecProcess)) throw invalid('target', 'an ExecProcess (from spawn() or $)', target);
    if (target === (this as unknown) || target.#upstream)
      throw invalid('target', 'a process not piped into yet', target);
    if (target.#stdinUsed && target.#child) {
      throw new InvalidOptionError(
        'target',
        `Cannot pipe into ${target.command}: its stdin is not 'pipe' or already in use`,
      );
    }
    const src = this.#takeOutput('stdout');
    const dest = target.#child?.stdin;
    if (this.#child && this.pid !== undefined && !src) {
      throw new InvalidOptionError('stdout', `Cannot pipe ${this.command}: its stdout is not 'pipe'`);
    }
    if (target.#child && target.pid !== undefined && !dest) {
      throw new InvalidOptionError('target', `Cannot pipe into ${target.command}: its stdin is not 'pipe'`);
    }
    target.#stdinUsed = true;
    target.#upstream = this as unknown as ExecProcess<Output>;
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
    this.#end.terminate('user');
    await this.#outcome;
  }
}
