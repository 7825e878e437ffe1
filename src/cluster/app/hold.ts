// Holding a worker's fixed-port listens until the supervisor lets traffic in.
//
// Round robin (Node's cluster) puts a worker into rotation the moment it
// listens. That is fine when "listening" means "ready", but not when the app
// signals readiness itself (waitReady) or must pass an HTTP probe first: it
// would take real requests before it is known to be healthy. So in those modes
// the app's server listens on a private Unix socket instead (its probe target,
// in the primary's 0700 directory: no other local user can reach it, see
// ../sockets.ts), and only on `admit` does a gate server join the shared port
// and pass its connections on. In sticky mode the primary owns the port and
// sends connections itself, so only ready workers are ever picked.

import net from 'node:net';
import { join } from 'node:path';
import { rebuildError } from '../../errors/remote.js';
import type { ConnMessage, StickyListeningMessage, ToPrimaryMessage } from '../protocol.js';
import { kInternal, type TcpTarget } from './listen.js';

type Held = { server: net.Server; target: TcpTarget };

function publicAddress(target: TcpTarget, port = target.port): net.AddressInfo {
  const address = target.host ?? '::';
  return { address, family: address.includes(':') ? 'IPv6' : 'IPv4', port };
}

function listenError(error: NonNullable<StickyListeningMessage['error']>): Error {
  return rebuildError(error);
}

export class Holder {
  #held: Held[] = [];
  #admitted = false;
  #stickyServers = new Map<number, net.Server>();
  #waiters = new Map<number, (m: StickyListeningMessage) => void>();
  #ids = 1;
  #sockets = 0;
  /** Private socket of the first held server (the probe's target). */
  probe: string | undefined;

  constructor(
    private readonly sticky: boolean,
    private readonly post: (m: ToPrimaryMessage) => boolean,
    /** The primary's private socket directory. */
    private readonly directory: string,
  ) {}

  get holding(): boolean {
    return this.#held.length > 0 || this.#stickyServers.size > 0;
  }

  /** The listen hook: takes over a fixed-port listen, or returns false to let Node listen. */
  take(server: net.Server, target: TcpTarget, listen: (...a: unknown[]) => net.Server): boolean {
    if (this.#admitted && !this.sticky) return false;
    if (target.callback) server.once('listening', target.callback);
    const listenPrivately = (port: number) => {
      const path = join(this.directory, `${process.pid}-${++this.#sockets}.sock`);
      server.once('listening', () => {
        this.probe ??= path;
        server.address = () => publicAddress(target, port);
      });
      listen({ path, exclusive: true });
    };
    if (!this.sticky) {
      this.#held.push({ server, target });
      listenPrivately(target.port);
      return true;
    }
    const id = this.#ids++;
    this.#waiters.set(id, (reply) => {
      if (reply.error) {
        server.emit('error', listenError(reply.error));
        return;
      }
      if (!this.#stickyServers.has(target.port)) this.#stickyServers.set(target.port, server);
      listenPrivately(target.port);
    });
    this.post({ $spindle: 'sticky-listen', id, host: target.host, port: target.port, backlog: target.backlog });
    return true;
  }

  /** Sticky: the primary bound (or failed to bind) the port a listen asked for. */
  stickyListening(m: StickyListeningMessage): void {
    this.#waiters.get(m.id)?.(m);
    this.#waiters.delete(m.id);
  }

  /** Sticky: a connection from the primary, with the bytes it already read put back in front. */
  connection(m: ConnMessage, socket: unknown): void {
    if (!(socket instanceof net.Socket)) return;
    const server = this.#stickyServers.get(m.port);
    if (!server) {
      socket.destroy();
      return;
    }
    if (m.head) socket.unshift(Buffer.from(m.head, 'base64'));
    server.emit('connection', socket);
  }

  /** Round robin: opens a gate on each held server's real port, forwarding connections to it. */
  async admit(): Promise<void> {
    this.#admitted = true;
    await Promise.all(
      this.#held.map(
        ({ server, target }) =>
          new Promise<void>((resolve, reject) => {
            const gate = net.createServer((socket) => server.emit('connection', socket));
            (gate as { [kInternal]?: boolean })[kInternal] = true;
            gate.once('error', reject);
            gate.listen({ port: target.port, host: target.host, backlog: target.backlog }, () => {
              gate.off('error', reject);
              server.once('close', () => gate.close());
              resolve();
            });
          }),
      ),
    );
  }
}
