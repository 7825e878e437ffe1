// Request/reply over IPC, shared by the primary (one table per worker) and the
// worker runtime: ids, timeouts, settling on reply or on the peer going away.

import { ClusterHandlerFailedError, ClusterPeerGoneError, ClusterRequestTimeoutError } from '../errors/index.js';
import { rebuildError, toRemote } from '../errors/remote.js';
import type { ReqMessage, ResMessage } from './protocol.js';

type Pending = { topic: string; resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/** The requests one side has sent to one peer and not yet seen answered. */
export class PendingRequests {
  #next = 1;
  #pending = new Map<number, Pending>();

  /** Sends a request through `post` and resolves with the peer's reply. */
  request(topic: string, data: unknown, timeout: number, post: (m: ReqMessage) => boolean): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.#next++;
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ClusterRequestTimeoutError(topic, timeout));
      }, timeout);
      this.#pending.set(id, { topic, resolve, reject, timer });
      if (!post({ $spindle: 'req', id, topic, data })) {
        this.#settle(id, () => new ClusterPeerGoneError(`Cannot send request '${topic}': the IPC channel is closed`));
      }
    });
  }

  /** Settles the request a reply answers; replies to unknown ids (timed out) are dropped. */
  answer(m: ResMessage): void {
    const p = this.#pending.get(m.id);
    if (!p) return;
    if (m.ok) this.#settle(m.id, undefined, m.data);
    else this.#settle(m.id, () => new ClusterHandlerFailedError(p.topic, rebuildError(m.error)));
  }

  /** Rejects everything still pending, e.g. because the peer exited. */
  rejectAll(make: (topic: string) => Error): void {
    for (const id of [...this.#pending.keys()]) this.#settle(id, make);
  }

  get size(): number {
    return this.#pending.size;
  }

  #settle(id: number, fail: ((topic: string) => Error) | undefined, value?: unknown): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    if (fail) p.reject(fail(p.topic));
    else p.resolve(value);
  }
}

/** Runs the handler a request names and posts its result (or error) back. */
export async function serveRequest(
  handlers: Map<string, (data: any, ...ctx: any[]) => unknown>,
  m: ReqMessage,
  post: (m: ResMessage) => void,
  ...ctx: unknown[]
): Promise<void> {
  const handler = handlers.get(m.topic);
  if (!handler) {
    const known = [...handlers.keys()].map((t) => `'${t}'`).join(', ') || 'none';
    post({
      $spindle: 'res',
      id: m.id,
      ok: false,
      error: toRemote(new Error(`no handler for '${m.topic}' (handled topics: ${known})`), 'json'),
    });
    return;
  }
  try {
    post({ $spindle: 'res', id: m.id, ok: true, data: await handler(m.data, ...ctx) });
  } catch (err) {
    post({ $spindle: 'res', id: m.id, ok: false, error: toRemote(err, 'json') });
  }
}

/** A topic → listeners table for plain messages. */
export class Listeners {
  #map = new Map<string, Set<(data: any, ...ctx: any[]) => void>>();

  /** Adds a listener; returns a function that removes it. */
  on(topic: string, fn: (data: any, ...ctx: any[]) => void): () => void {
    let set = this.#map.get(topic);
    if (!set) this.#map.set(topic, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  emit(topic: string, data: unknown, ...ctx: unknown[]): void {
    for (const fn of this.#map.get(topic) ?? []) {
      try {
        fn(data, ...ctx);
      } catch (err) {
        // A listener's bug must not break the IPC dispatch loop; surface it like an uncaught error.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
