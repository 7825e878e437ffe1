// The server side of a control socket: claims `<dir>/<name>.sock` (refusing a
// name that is running, reclaiming the socket a killed supervisor left),
// serves the protocol of protocol.ts to any number of clients of this user,
// and removes the socket when it closes or the process exits. A malformed or
// oversized request gets an error reply; nothing a client sends reaches the
// supervisor except through the checked calls of ControlTarget.
import { chmodSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { ControlBadRequestError, ControlNameInUseError } from '../errors/index.js';
import { toRemote } from '../errors/remote.js';
import { checkSocketPath, controlDirectory, ensureDirectory, searchDirectories, socketPath } from './dirs.js';
import { type LogLine, toRecord } from './log.js';
import { probeSocket } from './probe.js';
import {
  type Command,
  type Commands,
  encode,
  type Hello,
  LineReader,
  MAX_CONNECTIONS,
  MAX_FOLLOW_BACKLOG,
  MAX_IN_FLIGHT,
  MAX_REQUEST_BYTES,
  PROTOCOL_VERSION,
  type Request,
  type RequestId,
  SUPPORTED_VERSIONS,
} from './protocol.js';
import { idOf, readRequest } from './requests.js';
import type { ControlTarget } from './types.js';

let spindleVersion: string | undefined;
function version(): string {
  spindleVersion ??= (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return spindleVersion;
}

/** A command's handler: a value (or promise) is the reply; a stream sends events through `conn` first. */
type Handler<C extends Command> = (args: Commands[C], conn: Connection, id: RequestId) => unknown;

/** One client connection: line framing, in-flight accounting, ordered writes. */
class Connection {
  inFlight = 0;
  readonly followers = new Set<() => void>();
  #reader: LineReader;

  constructor(
    readonly socket: net.Socket,
    private readonly server: ControlServer,
  ) {
    this.#reader = new LineReader(
      MAX_REQUEST_BYTES,
      (line) => this.#line(line),
      () =>
        this.fail(
          null,
          new ControlBadRequestError('too-large', `A request line may be at most ${MAX_REQUEST_BYTES} bytes`),
        ),
    );
    socket.on('data', (chunk: Buffer) => this.#reader.push(chunk));
    socket.on('error', () => {}); // a client that vanished: 'close' follows
    socket.on('close', () => {
      this.#reader.stopped = true;
      for (const stop of this.followers) stop();
      this.followers.clear();
      server.forget(this);
    });
  }

  send(message: unknown): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false;
    this.socket.write(encode(message));
    return true;
  }

  fail(id: RequestId, err: unknown): void {
    this.send({ v: PROTOCOL_VERSION, id, ok: false, error: toRemote(err, 'json') });
  }

  #line(line: string): void {
    if (line.trim() === '') return; // blank lines (a human typing) are no requests
    let request: Request;
    try {
      request = readRequest(line);
    } catch (err) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = undefined;
      }
      this.fail(idOf(parsed), err);
      return;
    }
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.fail(
        request.id,
        new ControlBadRequestError('busy', `At most ${MAX_IN_FLIGHT} requests may wait for replies on one connection`),
      );
      return;
    }
    this.inFlight++;
    this.server.run(request, this).then(
      (result) => this.#settle(() => this.send({ v: PROTOCOL_VERSION, id: request.id, ok: true, result })),
      (err: unknown) => this.#settle(() => this.fail(request.id, err)),
    );
  }

  #settle(write: () => void): void {
    write();
    this.inFlight--;
    if (this.server.closing && this.inFlight === 0) this.socket.end();
  }
}

/** A listening control socket. */
export class ControlServer {
  readonly path: string;
  closing = false;
  #server: net.Server;
  #ino: number;
  #target: ControlTarget;
  #name: string;
  #connections = new Set<Connection>();
  #closed: Promise<void> | undefined;
  #onExit = () => this.#unlink();
  #handlers: { [C in Command]: Handler<C> };

  private constructor(name: string, path: string, server: net.Server, target: ControlTarget) {
    this.#name = name;
    this.path = path;
    this.#server = server;
    this.#target = target;
    this.#ino = statSync(path).ino;
    process.once('exit', this.#onExit);
    server.on('connection', (socket) => this.#accept(socket));
    // accept() can fail (EMFILE when out of file descriptors): that client is lost, the server goes on.
    server.on('error', () => {});
    server.unref(); // the supervisor's workers keep the process alive, not its socket
    this.#handlers = {
      hello: (): Hello => ({
        protocol: PROTOCOL_VERSION,
        versions: SUPPORTED_VERSIONS,
        kind: target.kind,
        name,
        pid: process.pid,
        spindle: version(),
      }),
      status: () => target.status(),
      reload: () => target.reload(),
      scale: (args) => target.scale(args.workers !== undefined ? { workers: args.workers } : { by: args.by! }),
      stop: (args) => target.stop(args.grace as number | undefined),
      logs: (args, conn, id) => this.#logs(args, conn, id),
    };
  }

  /**
   * Claims the socket of `name` in the control directory and starts serving
   * `target`. Rejects with ERR_CONTROL_NAME_IN_USE when a supervisor of that
   * name answers in any of the searched directories, with
   * ERR_CONTROL_DIRECTORY when the directory is unsafe or the path too long.
   */
  static async open(name: string, target: ControlTarget, env: NodeJS.ProcessEnv = process.env): Promise<ControlServer> {
    const directory = controlDirectory(env);
    const path = socketPath(directory, name);
    checkSocketPath(directory, path);
    ensureDirectory(directory);
    // Another directory of this user may hold the name (a systemd service without XDG_RUNTIME_DIR).
    for (const dir of searchDirectories(env)) {
      const other = socketPath(dir, name);
      if (other === path) continue;
      const found = await probeSocket(other);
      if (found.state === 'alive') throw new ControlNameInUseError(name, other, found.pid);
    }
    for (let attempt = 0; ; attempt++) {
      const server = net.createServer();
      const error = await listen(server, path);
      if (!error) {
        chmodSync(path, 0o600);
        return new ControlServer(name, path, server, target);
      }
      if (error.code !== 'EADDRINUSE' || attempt >= 3) throw error;
      const found = await probeSocket(path);
      if (found.state === 'alive') throw new ControlNameInUseError(name, path, found.pid);
      // Stale: left by a supervisor that was killed. Remove exactly that file (not one a
      // concurrent start may have just created in its place), then try again.
      if (found.state === 'stale') removeIfSame(path, found.ino);
    }
  }

  /** Runs one checked request. */
  run(request: Request, conn: Connection): Promise<unknown> {
    const handler = this.#handlers[request.cmd] as Handler<Command>;
    try {
      return Promise.resolve(handler(request.args, conn, request.id));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  forget(conn: Connection): void {
    this.#connections.delete(conn);
  }

  #accept(socket: net.Socket): void {
    if (this.closing || this.#connections.size >= MAX_CONNECTIONS) {
      socket.on('error', () => {});
      const why = this.closing
        ? 'The supervisor is stopping'
        : `Too many control connections (at most ${MAX_CONNECTIONS} at once)`;
      socket.end(
        encode({
          v: PROTOCOL_VERSION,
          id: null,
          ok: false,
          error: toRemote(new ControlBadRequestError('busy', why), 'json'),
        }),
      );
      return;
    }
    this.#connections.add(new Connection(socket, this));
  }

  /** `logs`: the tail, then (with follow) every new line until the client goes or the server closes. */
  #logs(args: Commands['logs'], conn: Connection, id: RequestId): unknown {
    const tail = this.#target.tail(args.lines ?? 20, args.worker);
    if (!args.follow) return { lines: tail.map(toRecord) };
    let dropped = 0;
    const emit = (line: LogLine) => {
      if (conn.socket.writableLength > MAX_FOLLOW_BACKLOG) {
        dropped++; // a follower that does not read loses lines rather than growing our memory
        return;
      }
      if (dropped > 0) {
        conn.send({ v: PROTOCOL_VERSION, id, event: 'dropped', data: { lines: dropped } });
        dropped = 0;
      }
      conn.send({ v: PROTOCOL_VERSION, id, event: 'log', data: toRecord(line) });
    };
    for (const line of tail) emit(line);
    return new Promise((resolve) => {
      const unfollow = this.#target.follow(emit, args.worker);
      const stop = () => {
        unfollow();
        conn.followers.delete(stop);
        resolve({ end: 'closed' });
      };
      conn.followers.add(stop);
    });
  }

  /**
   * Stops listening and removes the socket now; connections end once their
   * pending replies are written (followers get their final reply). Idempotent.
   */
  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    this.closing = true;
    process.off('exit', this.#onExit);
    this.#unlink();
    const done = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const conn of this.#connections) {
      for (const stop of [...conn.followers]) stop();
      if (conn.inFlight === 0) conn.socket.end();
      // A client that never reads its replies does not hold the close up.
      setTimeout(() => conn.socket.destroy(), 2000).unref();
    }
    this.#closed = done;
    return done;
  }

  #unlink(): void {
    removeIfSame(this.path, this.#ino);
  }

  get name(): string {
    return this.#name;
  }
}

function listen(server: net.Server, path: string): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    // Created 0600 from the start: no moment where another user could connect
    // (the 0700 directory already keeps them out; this is the second lock).
    const umask = process.umask(0o177);
    try {
      server.once('error', (err: NodeJS.ErrnoException) => resolve(err));
      server.listen({ path, exclusive: true }, () => resolve(undefined));
    } finally {
      process.umask(umask);
    }
  });
}

function removeIfSame(path: string, ino: number | undefined): void {
  try {
    if (ino === undefined || statSync(path).ino === ino) unlinkSync(path);
  } catch {
    // gone already
  }
}
