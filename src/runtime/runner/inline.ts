// Inline functions (`pool.run(fn, args)`), inside a worker: the function's
// source arrives with each call and is compiled once per worker, in strict
// mode and in the worker's global scope, then kept (by source text) for the
// next calls. A function that refers to variables of the caller's scope
// finds none here: it fails with a ReferenceError when it runs.
import { INLINE_PREFIX } from '../protocol.js';
import type { TaskFn } from './load.js';

/** Compiled functions kept per worker; the oldest goes first past this. */
const MAX_CACHED = 256;
const cache = new Map<string, TaskFn>();

/** True for the wire name of an inline function call. */
export function isInline(name: string): boolean {
  return name.startsWith(INLINE_PREFIX);
}

/** The function whose source is `source`, compiled on first use. */
export function compileInline(source: unknown): TaskFn {
  if (typeof source !== 'string') throw new TypeError('spindle: an inline function call arrived without its source');
  let fn = cache.get(source);
  if (fn === undefined) {
    const made: unknown = new Function(`"use strict"; return (${source}\n);`)();
    if (typeof made !== 'function') throw new TypeError('spindle: the inline source is not a function');
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
    fn = made as TaskFn;
    cache.set(source, fn);
  }
  return fn;
}
