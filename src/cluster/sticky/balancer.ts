// The primary's side of sticky sessions. It binds the app's port itself, keeps
// each new connection paused, reads just enough of it to find the key (nothing
// at all for 'ip'), picks the worker by rendezvous hashing and passes the
// socket over IPC together with the bytes it already read, which the worker
// puts back in front of the stream. Keep-alive and request bodies therefore
// work: the worker sees the connection exactly as the client sent it.
import type { Worker } from 'node:cluster';
import net from 'node:net';
import { pickSlot } from './hash.js';
import { headEnd, keyFromHead, type StickyKey } from './key.js';

/** A head larger than this without the key: route by IP instead. */
const MAX_HEAD = 16 * 1024;
/** A connection that sends no complete head in this time is routed by IP. */
const HEAD_TIMEOUT = 30_000;

type Native = { readStop?: () => number };

export class StickyBalancer {
  #servers = new Map<number, net.Server>();

  constructor(
    private readonly key: StickyKey,
    /** Workers that may take new connections, by slot. */
    private readonly candidates: () => Map<number, Worker>,
  ) {}

  /** Binds `port` (once; later workers share it) and resolves with its address, or rejects like listen() would. */
  listen(host: string | undefined, port: number, backlog: number | undefined): Promise<net.AddressInfo> {
    const existing = this.#servers.get(port);
    if (existing?.listening) return Promise.resolve(existing.address() as net.AddressInfo);
    if (existing)
      return new Promise((resolve, reject) => {
        existing.once('listening', () => resolve(existing.address() as net.AddressInfo));
        existing.once('error', reject);
      });
    const server = net.createServer({ pauseOnConnect: true }, (socket) => this.#accept(socket, port));
    this.#servers.set(port, server);
    return new Promise((resolve, reject) => {
      server.once('error', (err) => {
        this.#servers.delete(port);
        reject(err);
      });
      server.listen({ port, host, ...(backlog ? { backlog } : {}) }, () =>
        resolve(server.address() as net.AddressInfo),
      );
    });
  }

  /** Stops accepting on every port. Connections already handed over are the workers' business. */
  close(): void {
    for (const server of this.#servers.values()) server.close();
    this.#servers.clear();
  }

  #accept(socket: net.Socket, port: number): void {
    socket.on('error', () => socket.destroy());
    if (this.key.kind === 'ip') {
      this.#handOff(socket, port, socket.remoteAddress ?? '', Buffer.alloc(0));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (head: Buffer, found: string | undefined) => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.setTimeout(0);
      socket.pause();
      // Stop reading from the kernel so no byte arrives between here and the
      // handover (the socket's reads are detached then and would be lost). The
      // handle keeps `reading` set, so the stream does not restart it.
      (socket as unknown as { _handle?: Native })._handle?.readStop?.();
      this.#handOff(socket, port, found ?? socket.remoteAddress ?? '', head);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      const head = chunks.length === 1 ? chunk : Buffer.concat(chunks);
      const end = headEnd(head);
      if (end >= 0) done(head, keyFromHead(head.subarray(0, end), this.key));
      else if (size > MAX_HEAD) done(head, undefined);
    };
    const onEnd = () => socket.destroy();
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.setTimeout(HEAD_TIMEOUT, () => done(Buffer.concat(chunks), undefined));
    socket.resume();
  }

  #handOff(socket: net.Socket, port: number, key: string, head: Buffer, tried = new Set<number>()): void {
    const workers = this.candidates();
    for (const slot of tried) workers.delete(slot);
    const slot = pickSlot(key, [...workers.keys()]);
    if (slot === undefined) {
      socket.destroy();
      return;
    }
    const message = { $spindle: 'conn', port, head: head.toString('base64') };
    workers.get(slot)!.send(message, socket, { keepOpen: false }, (err) => {
      if (!err) return;
      // The worker went away before the socket left this process: try the next one.
      tried.add(slot);
      if ((socket as unknown as { _handle?: unknown })._handle) this.#handOff(socket, port, key, head, tried);
      else socket.destroy();
    });
  }
}
