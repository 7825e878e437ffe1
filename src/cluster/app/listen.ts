// Inside a worker: sees every `server.listen()` of the app, so the runtime
// knows its servers (readiness, drain) and can hold a fixed-port listen back
// until the worker is admitted (see hold.ts).
import net from 'node:net';

/** Marks servers the runtime opens itself (probe forwarder), which are not the app's. */
export const kInternal = Symbol('spindle.internalServer');

export interface TcpTarget {
  port: number;
  host: string | undefined;
  backlog: number | undefined;
  callback: (() => void) | undefined;
}

/**
 * The fixed TCP port a `listen()` call asks for, or undefined for anything
 * else (pipes, handles, fds, port 0): those are left to Node untouched.
 */
export function tcpTarget(args: unknown[]): TcpTarget | undefined {
  const last = args.at(-1);
  const callback = typeof last === 'function' ? (last as () => void) : undefined;
  const [first, second, third] = args;
  let port: unknown;
  let host: unknown;
  let backlog: unknown;
  if (first !== null && typeof first === 'object') {
    const o = first as { port?: unknown; host?: unknown; backlog?: unknown; path?: unknown; fd?: unknown };
    if (o.path !== undefined || o.fd !== undefined || !('port' in o)) return undefined;
    ({ port, host, backlog } = o);
  } else {
    port = first;
    if (typeof second === 'string') {
      host = second;
      backlog = third;
    } else backlog = second;
  }
  const n = typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : port;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0 || n > 65535) return undefined;
  return {
    port: n,
    host: typeof host === 'string' && host !== '' ? host : undefined,
    backlog: typeof backlog === 'number' ? backlog : undefined,
    callback,
  };
}

export interface ListenHooks {
  /** Called for each app server before it listens. */
  track(server: net.Server): void;
  /** Takes over a fixed-port listen (see hold.ts); returns false to let Node listen normally. */
  hold?(server: net.Server, target: TcpTarget, listen: (...args: unknown[]) => net.Server): boolean;
}

/** Wraps net.Server#listen once per process. */
export function patchListen(hooks: ListenHooks): void {
  const original = net.Server.prototype.listen as (this: net.Server, ...args: unknown[]) => net.Server;
  net.Server.prototype.listen = function listen(this: net.Server, ...args: unknown[]) {
    if ((this as { [kInternal]?: boolean })[kInternal]) return original.apply(this, args);
    hooks.track(this);
    if (hooks.hold) {
      const target = tcpTarget(args);
      if (target && hooks.hold(this, target, (...a) => original.apply(this, a))) return this;
    }
    return original.apply(this, args);
  } as typeof net.Server.prototype.listen;
}
