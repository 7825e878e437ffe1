// Cuts decoded text into lines; shared by spindle/exec and the process pool's line protocol.
import { StringDecoder } from 'node:string_decoder';

/** Decodes chunks and cuts them at '\n' (dropping a '\r' before it); multi-byte characters split across chunks stay whole. */
export class LineSplitter {
  readonly #decoder: StringDecoder;
  #rest = '';
  constructor(encoding: BufferEncoding) {
    this.#decoder = new StringDecoder(encoding);
  }

  /** Characters held back waiting for the end of their line. */
  get pending(): number {
    return this.#rest.length;
  }

  write(chunk: Buffer | string, emit: (line: string) => void): void {
    const piece = typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    let nl = piece.indexOf('\n');
    if (nl === -1) {
      // a long line arriving in pieces: search only the new piece, so it is scanned once
      this.#rest += piece;
      return;
    }
    const text = this.#rest + piece;
    nl += this.#rest.length;
    let start = 0;
    while (nl !== -1) {
      emit(text.charCodeAt(nl - 1) === 13 && nl > start ? text.slice(start, nl - 1) : text.slice(start, nl));
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    this.#rest = start === 0 ? text : text.slice(start);
  }

  end(emit: (line: string) => void): void {
    const last = this.#rest + this.#decoder.end();
    this.#rest = '';
    if (last !== '') emit(last.endsWith('\r') ? last.slice(0, -1) : last);
  }
}
