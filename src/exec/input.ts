// Feeds the `input` option into the program's stdin.
import { Readable, type Writable } from 'node:stream';
import type { ExecInput } from './options.js';

/** Writes or pipes `input` into `stdin` and closes it; a failing input stream calls `onError`. */
export function wireInput(stdin: Writable, input: ExecInput, onError: (e: unknown) => void): void {
  if (typeof input === 'string' || input instanceof Uint8Array) {
    stdin.end(input);
    return;
  }
  let source: Readable;
  try {
    source =
      input instanceof Readable
        ? input
        : typeof (input as ReadableStream).getReader === 'function'
          ? Readable.fromWeb(input as import('node:stream/web').ReadableStream<Uint8Array>)
          : Readable.from(input as AsyncIterable<string | Uint8Array>);
  } catch (e) {
    onError(e);
    stdin.end();
    return;
  }
  source.once('error', (e) => {
    source.unpipe(stdin);
    onError(e);
  });
  source.pipe(stdin);
}
