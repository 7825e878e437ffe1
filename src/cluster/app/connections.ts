// Tracks the app's servers and their open connections inside a worker, and
// drains HTTP connections without racing keep-alive clients.
//
// Why not just let `server.close()` do it: Node's http.Server#close() calls
// closeIdleConnections(), which destroys every idle keep-alive socket at once.
// A client may be writing its next request on such a socket at that very
// moment; it then sees ECONNRESET even though the server meant to serve it.
// Under load that loses requests on every reload. Instead, while draining:
//  - every response that has not sent its headers yet says `Connection: close`,
//    so a busy connection closes itself right after its current exchange;
//  - an idle connection is only closed once it has been idle for the server's
//    keepAliveTimeout, which is what the server announced to the client
//    (`Keep-Alive: timeout=N`) and what careful clients plan around.
import diagnostics from 'node:diagnostics_channel';
import type { Server as HttpServer, ServerResponse } from 'node:http';
import type { Server, Socket } from 'node:net';

const kIdleSince = Symbol('spindle.idleSince');
const kBusySinceDrain = Symbol('spindle.busySinceDrain');
type Tracked = Socket & {
  _httpMessage?: ServerResponse | null;
  [kIdleSince]?: number;
  [kBusySinceDrain]?: boolean;
  server?: Server;
};

const SWEEP_MS = 100;

function isHttp(server: Server): server is HttpServer {
  return typeof (server as Partial<HttpServer>).closeIdleConnections === 'function';
}

/** The app's servers and every connection they hold, and the drain procedure. */
export class Connections {
  readonly servers = new Set<Server>();
  readonly sockets = new Map<Tracked, Server>();
  #draining = false;
  #drainStart = 0;
  #sweep: NodeJS.Timeout | undefined;
  #onEmpty: (() => void) | undefined;

  /** Starts tracking a server's connections (idempotent). */
  track(server: Server): void {
    if (this.servers.has(server)) return;
    this.servers.add(server);
    // TLS servers (https) serve HTTP on the secure socket, not the raw one.
    const event = 'addContext' in server ? 'secureConnection' : 'connection';
    server.on(event, (socket: Tracked) => this.#add(socket, server));
    server.once('close', () => this.servers.delete(server));
  }

  #add(socket: Tracked, server: Server): void {
    if (this.sockets.has(socket) || socket.destroyed) return;
    this.sockets.set(socket, server);
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (this.sockets.size === 0) this.#onEmpty?.();
    });
    if (this.#draining) socket[kIdleSince] = Date.now();
  }

  /** Starts draining; `onEmpty` fires whenever the last tracked connection closes. */
  drain(onEmpty: () => void): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#drainStart = Date.now();
    this.#onEmpty = onEmpty;
    diagnostics.subscribe('http.server.request.start', onRequestStart);
    diagnostics.subscribe('http.server.response.finish', onResponseFinish);
    for (const server of this.servers) {
      // Replaces the abrupt close of idle sockets that server.close() would do (see above).
      if (isHttp(server)) server.closeIdleConnections = () => this.#closeIdle();
    }
    for (const socket of this.sockets.keys()) {
      const res = socket._httpMessage;
      if (res && !res.headersSent) res.shouldKeepAlive = false;
    }
    this.#sweep = setInterval(() => this.#closeIdle(), SWEEP_MS).unref();
    this.#closeIdle();
    if (this.sockets.size === 0) onEmpty();
  }

  /** Stops the sweep (called at exit). */
  dispose(): void {
    clearInterval(this.#sweep);
    if (this.#draining) {
      diagnostics.unsubscribe('http.server.request.start', onRequestStart);
      diagnostics.unsubscribe('http.server.response.finish', onResponseFinish);
    }
  }

  #closeIdle(): void {
    const now = Date.now();
    for (const [socket, server] of this.sockets) {
      if (!isHttp(server) || socket[kBusySinceDrain] || socket._httpMessage) continue;
      const since = Math.max(socket[kIdleSince] ?? this.#drainStart, this.#drainStart);
      if (now - since >= server.keepAliveTimeout) socket.destroy();
    }
  }
}

// While draining, each new exchange is the connection's last one.
function onRequestStart(message: unknown): void {
  const { response, socket } = message as { response: ServerResponse; socket: Tracked };
  response.shouldKeepAlive = false;
  socket[kBusySinceDrain] = true;
}

// An exchange that began before the drain ended keep-alive: idle from now on.
function onResponseFinish(message: unknown): void {
  const { socket } = message as { socket: Tracked };
  socket[kIdleSince] = Date.now();
}
