// Splits byte streams into lines and hands them to an async iterator, with
// backpressure: the sources pause while the consumer lags behind.
import type { Readable } from 'node:stream';
import { LineSplitter } from '../util/lines.js';

const HIGH_WATER = 1024;

/**
 * Async iterator over the lines of one or more streams, interleaved in the
 * order their chunks arrive. `finish` runs once every source has ended and may
 * throw (the command's failure); `return()` (a `break`) detaches and lets the
 * sources flow again so the program is never blocked on a full pipe.
 */
export class LineIterator implements AsyncIterableIterator<string> {
  #queue: string[] = [];
  #head = 0;
  #open: number;
  #waiter: ((r: IteratorResult<string>) => void) | undefined;
  #failer: ((e: unknown) => void) | undefined;
  #done = false;
  #paused = false;
  #finishing: Promise<void> | undefined;
  readonly #sources: Readable[];
  readonly #finish: () => Promise<void>;
  readonly #detach: (() => void)[] = [];

  constructor(sources: Readable[], encoding: BufferEncoding, finish: () => Promise<void>) {
    this.#sources = sources;
    this.#finish = finish;
    this.#open = sources.length;
    const push = (line: string) => this.#push(line);
    for (const s of sources) {
      const splitter = new LineSplitter(encoding);
      let ended = false;
      const onData = (chunk: Buffer | string) => splitter.write(chunk, push);
      const onEnd = () => {
        if (ended) return;
        ended = true;
        splitter.end(push);
        this.#sourceEnded();
      };
      s.on('data', onData);
      s.on('end', onEnd);
      s.on('close', onEnd);
      this.#detach.push(() => {
        s.off('data', onData);
        s.off('end', onEnd);
        s.off('close', onEnd);
      });
      if (s.readableEnded || s.destroyed) onEnd();
    }
    if (sources.length === 0) this.#open = 0;
  }

  #push(line: string): void {
    if (this.#done) return;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = this.#failer = undefined;
      w({ value: line, done: false });
      return;
    }
    this.#queue.push(line);
    if (!this.#paused && this.#queue.length - this.#head >= HIGH_WATER) {
      this.#paused = true;
      for (const s of this.#sources) s.pause();
    }
  }

  #sourceEnded(): void {
    this.#open--;
    if (this.#open === 0 && this.#waiter) this.#settleEnd();
  }

  #settleEnd(): void {
    const w = this.#waiter!;
    const f = this.#failer!;
    this.#waiter = this.#failer = undefined;
    this.#runFinish().then(
      () => {
        this.#close();
        w({ value: undefined, done: true });
      },
      (e) => {
        this.#close();
        f(e);
      },
    );
  }

  #runFinish(): Promise<void> {
    this.#finishing ??= this.#finish();
    return this.#finishing;
  }

  next(): Promise<IteratorResult<string>> {
    if (this.#head < this.#queue.length) {
      const value = this.#queue[this.#head++]!;
      if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      if (this.#paused && this.#queue.length - this.#head < HIGH_WATER / 2) {
        this.#paused = false;
        for (const s of this.#sources) s.resume();
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiter = resolve;
      this.#failer = reject;
      if (this.#open === 0) this.#settleEnd();
    });
  }

  #close(): void {
    if (this.#done) return;
    this.#done = true;
    this.#queue = [];
    this.#head = 0;
    for (const d of this.#detach) d();
    if (this.#paused) for (const s of this.#sources) s.resume();
    this.#paused = false;
  }

  /** Called by `break`: stop listening and let the output flow (it is discarded). */
  return(): Promise<IteratorResult<string>> {
    this.#close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
