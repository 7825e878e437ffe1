// `ipc: true`: the messages a Node script sends with `process.send()`, as an async
// iterator (`p.messages()`). Messages cannot be paused like a pipe, so the queue
// holds whatever has not been read yet.
import type { ChildProcess } from 'node:child_process';

/** How long the IPC channel may stay open after the program exited (only a grandchild could hold it). */
const CHANNEL_CLOSE_MS = 1000;

/**
 * Calls `done` once the channel of an exited program has closed: messages sent just
 * before the exit can arrive after it. Closes it from our side after a moment.
 */
export function waitForChannel(child: ChildProcess, done: () => void): void {
  const cut = setTimeout(() => child.connected && child.disconnect(), CHANNEL_CLOSE_MS);
  cut.unref();
  child.once('disconnect', () => {
    clearTimeout(cut);
    done();
  });
}

/** Async iterator over received messages; ends when the channel closes, by throwing the command's failure if it failed. */
export class MessageIterator implements AsyncIterableIterator<unknown> {
  #queue: unknown[] = [];
  #head = 0;
  #closed = false;
  #done = false;
  #waiter: ((r: IteratorResult<unknown>) => void) | undefined;
  #failer: ((e: unknown) => void) | undefined;
  readonly #finish: () => Promise<void>;

  /** `finish` runs once the channel has closed and may throw (the command's failure). */
  constructor(finish: () => Promise<void>) {
    this.#finish = finish;
  }

  push(message: unknown): void {
    if (this.#done) return;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = this.#failer = undefined;
      w({ value: message, done: false });
    } else this.#queue.push(message);
  }

  /** The channel closed: once the queue is read, the iterator ends. */
  close(): void {
    this.#closed = true;
    if (this.#waiter) this.#settleEnd();
  }

  #settleEnd(): void {
    const w = this.#waiter!;
    const f = this.#failer!;
    this.#waiter = this.#failer = undefined;
    this.#done = true;
    this.#finish().then(
      () => w({ value: undefined, done: true }),
      (e) => f(e),
    );
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.#head < this.#queue.length) {
      const value = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiter = resolve;
      this.#failer = reject;
      if (this.#closed) this.#settleEnd();
    });
  }

  /** `break`: stop receiving; later messages are dropped. */
  return(): Promise<IteratorResult<unknown>> {
    this.#done = true;
    this.#queue = [];
    this.#head = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
