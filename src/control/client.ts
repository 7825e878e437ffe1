// The client side of the control protocol, for the CLI (and any JS tool):
// find a supervisor by name in the control directories, send requests, get
// replies (and events of a streaming request), list every running one.
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import net from 'node:net';
import {
  ControlConnectionError,
  ControlNotRunningError,
  ControlProtocolError,
  ControlTimeoutError,
} from '../errors/index.js';
import { rebuildError } from '../errors/remote.js';
import { isPrivateDirectory, searchDirectories, socketPath } from './dirs.js';
import { type Command, type Commands, encode, LineReader, MAX_REPLY_BYTES, PROTOCOL_VERSION } from './protocol.js';
import type { ControlStatusCommon } from './types.js';

type Pending = {
  cmd: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onEvent: ((event: string, data: unknown) => void) | undefined;
  timer: NodeJS.Timeout | undefined;
};

export interface RequestOptions {
  /** Reject with ERR_CONTROL_TIMEOUT after this many ms; default: wait as long as the connection lives. */
  timeout?: number;
  /** Events of a streaming request (`logs` with follow). */
  onEvent?: (event: string, data: unknown) => void;
}

/** One connection to a supervisor's control socket. */
export class ControlClient {
  readonly path: string;
  #socket: net.Socket;
  #next = 1;
  #pending = new Map<number, Pending>();
  #gone: Error | undefined;

  private constructor(path: string, socket: net.Socket) {
    this.path = path;
    this.#socket = socket;
    const reader = new LineReader(
      MAX_REPLY_BYTES,
      (line) => this.#line(line),
      () => this.#fail(new ControlProtocolError(`A reply from ${path} is longer than ${MAX_REPLY_BYTES} bytes`)),
    );
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', (err) =>
      this.#fail(new ControlConnectionError(path, `The connection to ${path} failed: ${err.message}`, { cause: err })),
    );
    socket.on('close', () =>
      this.#fail(
        new ControlConnectionError(
          path,
          `The supervisor at ${path} closed the connection before replying (it exited?)`,
        ),
      ),
    );
  }

  /** Connects to a socket path; rejects with ERR_CONTROL_CONNECTION (`cause.code` ECONNREFUSED for a stale socket). */
  static connect(path: string, timeout = 5000): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(path);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ControlConnectionError(path, `Could not connect to ${path} within ${timeout} ms`));
      }, timeout);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new ControlConnectionError(path, `Could not connect to ${path}: ${err.message}`, { cause: err }));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new ControlClient(path, socket));
      });
    });
  }

  /** Sends one request and resolves its result (rejects with the supervisor's error, rebuilt). */
  request<C extends Command>(cmd: C, args?: Commands[C], options: RequestOptions = {}): Promise<unknown> {
    if (this.#gone) return Promise.reject(this.#gone);
    return new Promise((resolve, reject) => {
      const id = this.#next++;
      const timer =
        options.timeout === undefined
          ? undefined
          : setTimeout(() => {
              this.#pending.delete(id);
              reject(new ControlTimeoutError(cmd, this.path, options.timeout!));
            }, options.timeout);
      this.#pending.set(id, { cmd, resolve, reject, onEvent: options.onEvent, timer });
      this.#socket.write(encode({ v: PROTOCOL_VERSION, id, cmd, args: args ?? {} }));
    });
  }

  /** Closes the connection (a follow ends; a reload or stop asked for goes on in the supervisor). */
  close(): void {
    this.#socket.destroy();
  }

  #line(line: string): void {
    let m: {
      v?: unknown;
      id?: unknown;
      ok?: unknown;
      result?: unknown;
      error?: unknown;
      event?: unknown;
      data?: unknown;
    };
    try {
      m = JSON.parse(line);
    } catch {
      this.#fail(new ControlProtocolError(`The supervisor at ${this.path} sent a line that is not JSON`));
      return;
    }
    if (m === null || typeof m !== 'object' || m.v !== PROTOCOL_VERSION) {
      this.#fail(new ControlProtocolError(`The supervisor at ${this.path} speaks another protocol version`));
      return;
    }
    const p = typeof m.id === 'number' ? this.#pending.get(m.id) : undefined;
    if (!p) {
      // A reply to no request of ours: the server refused something before reading an id (too many connections).
      if (m.ok === false && m.id === null) this.#fail(rebuildError(m.error));
      return;
    }
    if (typeof m.event === 'string') {
      p.onEvent?.(m.event, m.data);
      return;
    }
    this.#pending.delete(m.id as number);
    clearTimeout(p.timer);
    if (m.ok === true) p.resolve(m.result);
    else p.reject(rebuildError(m.error));
  }

  #fail(err: Error): void {
    this.#gone ??= err;
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.#socket.destroy();
  }
}

function refused(err: unknown): boolean {
  const code = (err as { cause?: { code?: string } }).cause?.code;
  return code === 'ECONNREFUSED' || code === 'ENOENT';
}

/** The control directories that exist and are private to this user (others are never trusted). */
export function usableDirectories(env: NodeJS.ProcessEnv = process.env): string[] {
  return searchDirectories(env).filter((d) => {
    try {
      return isPrivateDirectory(lstatSync(d));
    } catch {
      return false;
    }
  });
}

/**
 * Connects to the supervisor named `name`, searching every control directory
 * (a stale socket is skipped). Rejects with ERR_CONTROL_NOT_RUNNING.
 */
export async function connectByName(name: string, env: NodeJS.ProcessEnv = process.env): Promise<ControlClient> {
  for (const dir of usableDirectories(env)) {
    const path = socketPath(dir, name);
    if (!existsSync(path)) continue;
    try {
      return await ControlClient.connect(path);
    } catch (err) {
      if (!refused(err)) throw err;
    }
  }
  throw new ControlNotRunningError(name, searchDirectories(env));
}

/** One entry of `list()`: a running supervisor's status, or why it did not give one. */
export type Listed = { path: string; status: ControlStatusCommon } | { path: string; name: string; error: Error };

/** Every supervisor of this user that answers, with its status; stale sockets are left out. */
export async function list(env: NodeJS.ProcessEnv = process.env, timeout = 3000): Promise<Listed[]> {
  const paths: string[] = [];
  for (const dir of usableDirectories(env)) {
    for (const entry of readdirSync(dir).sort())
      if (entry.endsWith('.sock')) paths.push(socketPath(dir, entry.slice(0, -5)));
  }
  const results = await Promise.all(
    paths.map(async (path): Promise<Listed | undefined> => {
      const name = path.slice(path.lastIndexOf('/') + 1, -5);
      let client: ControlClient | undefined;
      try {
        client = await ControlClient.connect(path, timeout);
        const status = (await client.request('status', {}, { timeout })) as ControlStatusCommon;
        return { path, status };
      } catch (err) {
        if (refused(err)) return undefined; // stale: its supervisor was killed
        return { path, name, error: err as Error };
      } finally {
        client?.close();
      }
    }),
  );
  // The same supervisor can be reached twice when two directories are one (a symlink).
  const seen = new Set<string>();
  return results.filter((r): r is Listed => {
    if (!r) return false;
    if (!('status' in r)) return true;
    const key = `${r.status.pid}/${r.status.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
