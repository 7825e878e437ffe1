// Inline functions (`pool.run(fn, args)`), on the pool's side: a function is
// sent as its source text, so it must be self-contained. What can be checked
// here is checked once per function object: that its source is a function
// expression (not a method shorthand, a class, a bound or a native function).
// What cannot be checked (a variable of the caller's scope it uses) fails in
// the worker with a ReferenceError, for that call only.
import { INLINE_PREFIX } from '../runtime/protocol.js';
import { invalid } from '../util/validate.js';

/** A checked inline function: its source and the task name it shows in errors (`<inline fib>`). */
export interface Inline {
  source: string;
  name: string;
}

const checked = new WeakMap<object, Inline>();

const EXPECTED =
  'a self-contained function: a function or arrow function expression (not a method shorthand, a class, a bound or a native function)';

/** The source and task name of `fn`, or ERR_INVALID_OPTION naming `option`. */
export function inline(option: string, fn: (...args: never[]) => unknown): Inline {
  let found = checked.get(fn);
  if (found !== undefined) return found;
  let source: string;
  try {
    source = Function.prototype.toString.call(fn);
  } catch {
    throw invalid(option, EXPECTED, fn); // a Proxy around a function
  }
  if (/^class\b/.test(source) || /\{\s*\[native code\]\s*\}$/.test(source)) throw invalid(option, EXPECTED, fn);
  try {
    // Parsed here, as the worker will, so that a method shorthand (`m() {}`, not an
    // expression) is refused now rather than failing in every worker. The function
    // made is never called.
    new Function(`"use strict"; return (${source}\n);`);
  } catch (err) {
    if (err instanceof SyntaxError) throw invalid(option, EXPECTED, fn);
    // EvalError: code generation from strings is off in this thread; the worker decides
  }
  const name = typeof fn.name === 'string' && fn.name !== '' ? fn.name : 'anonymous';
  found = { source, name: `${INLINE_PREFIX} ${name}>` };
  checked.set(fn, found);
  return found;
}
