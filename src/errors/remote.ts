// The one way an error crosses a boundary: thread (structured clone), process
// (JSON or V8), cluster IPC (JSON), Redis (JSON), and foreign line-protocol
// workers. Structured clone keeps only message/stack of an Error and JSON keeps
// nothing, so every side agrees on this record instead.
//
// What survives: `err.name`, the class name, message, stack, `code`, `cause`
// (recursively), `errors` of an AggregateError, and own fields whose values the
// channel can carry. The class itself is rebuilt for the standard Error classes,
// for spindle's own classes, and for classes the receiver registered (e.g.
// `new Pool({ errorClasses })`, matched by class name, then by `name`); any
// other class arrives as an instance of the standard class its `name` names, or
// an Error, and when its `name` was only the one it inherited (`class MyError
// extends Error {}` leaves it 'Error') that `name` becomes the class name, so
// the class stays visible.
import * as base from './base.js';
import * as cli from './cli.js';
import * as cluster from './cluster.js';
import * as control from './control.js';
import * as exec from './exec.js';
import * as observe from './observe.js';
import * as pool from './pool.js';
import * as queue from './queue.js';
import * as shared from './shared.js';

const kRemote = '__spindleError';

/** An Error, as data. */
export interface RemoteError {
  [kRemote]: 1;
  name: string;
  /** the constructor's name, when it differs from `name` */
  className?: string;
  message: string;
  stack?: string;
  code?: unknown;
  cause?: unknown;
  errors?: unknown[];
  props?: Record<string, unknown>;
}

/** A thrown value that is not an Error: the value itself when the channel can carry it, and its text. */
export interface RemoteThrown {
  [kRemote]: 2;
  value: unknown;
  text: string;
}

/** Error classes a receiver can rebuild, by their `name`. */
export type ErrorClasses = ReadonlyMap<string, abstract new (...args: any[]) => Error>;

/** A Map, not an object literal: a foreign `name` such as '__proto__' or 'constructor' must find nothing. */
const standard = new Map<string, ErrorConstructor>([
  ['Error', Error],
  ['TypeError', TypeError],
  ['RangeError', RangeError],
  ['SyntaxError', SyntaxError],
  ['ReferenceError', ReferenceError],
  ['EvalError', EvalError],
  ['URIError', URIError],
]);

/** spindle's own classes, by name: every class of every subsystem file. */
const builtin = new Map<string, abstract new (...args: any[]) => Error>();
for (const mod of [base, cli, cluster, control, exec, observe, pool, queue, shared]) {
  for (const v of Object.values(mod)) {
    if (typeof v === 'function' && v.prototype instanceof base.SpindleError) builtin.set(v.prototype.name, v);
  }
}

const skip = new Set(['name', 'message', 'stack', 'code', 'cause', 'errors']);
const MAX_DEPTH = 8;

/** The channel the record must cross: 'clone' (structured clone) or 'json'. */
export type Channel = 'clone' | 'json';

function carried(value: unknown, channel: Channel): boolean {
  if (typeof value === 'function' || typeof value === 'symbol') return false;
  try {
    if (channel === 'json') return JSON.stringify(value) !== undefined;
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function textOf(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

/** The name of `err`'s class, when it is a subclass named otherwise than `err.name` (never throws). */
function classNameOf(err: Error, name: string): string | undefined {
  try {
    const ctor = (err as { constructor?: unknown }).constructor;
    const cls = typeof ctor === 'function' ? (ctor as { name?: unknown }).name : undefined;
    return typeof cls === 'string' && cls !== '' && cls !== name && !standard.has(cls) ? cls : undefined;
  } catch {
    return undefined; // a Proxy or a throwing getter
  }
}

/** Turns anything thrown into a record that survives `channel`. */
export function toRemote(err: unknown, channel: Channel = 'clone', depth = 0): RemoteError | RemoteThrown {
  if (!(err instanceof Error)) {
    const text = textOf(err);
    return { [kRemote]: 2, value: carried(err, channel) ? err : text, text };
  }
  const wire: RemoteError = { [kRemote]: 1, name: String(err.name), message: String(err.message) };
  const className = classNameOf(err, wire.name);
  if (className !== undefined) wire.className = className;
  if (typeof err.stack === 'string') wire.stack = err.stack;
  const { code, cause, errors } = err as Error & { code?: unknown; errors?: unknown };
  if (code !== undefined && carried(code, channel)) wire.code = code;
  if (cause !== undefined && depth < MAX_DEPTH) wire.cause = toRemote(cause, channel, depth + 1);
  if (Array.isArray(errors) && depth < MAX_DEPTH) wire.errors = errors.map((e) => toRemote(e, channel, depth + 1));
  for (const key of Object.keys(err)) {
    if (skip.has(key)) continue;
    let value: unknown;
    try {
      value = (err as unknown as Record<string, unknown>)[key];
    } catch {
      continue; // a throwing getter
    }
    if (!carried(value, channel)) continue;
    (wire.props ??= {})[key] = value;
  }
  return wire;
}

/** True for a record made by `toRemote`. */
export function isRemote(value: unknown): value is RemoteError | RemoteThrown {
  return typeof value === 'object' && value !== null && kRemote in value;
}

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, configurable: true, writable: true, enumerable: false });
}

function instantiate(wire: RemoteError, classes: ErrorClasses | undefined): Error {
  if (wire.errors !== undefined) {
    return new AggregateError(
      wire.errors.map((e) => rebuild(e, classes)),
      wire.message,
    );
  }
  const Cls =
    (wire.className === undefined ? undefined : classes?.get(wire.className)) ??
    classes?.get(wire.name) ??
    builtin.get(wire.name);
  if (Cls) {
    // No constructor call: constructors take their own arguments; the fields come from the record.
    const e = Object.create(Cls.prototype) as Error;
    define(e, 'message', wire.message);
    return e;
  }
  const Std = standard.get(wire.name);
  const e = Std ? new Std(wire.message) : new Error(wire.message);
  // not rebuilt as its class: keep the class visible where the name was only inherited
  if (wire.className !== undefined && Std !== undefined) define(e, 'name', wire.className);
  return e;
}

/**
 * Rebuilds the thrown value on the receiving side. An Error comes back as
 * `{ error }`; a thrown non-Error as `{ thrown, text }`. A value that is not a
 * record at all is treated as a thrown non-Error.
 */
export function fromRemote(
  wire: unknown,
  classes?: ErrorClasses,
): { error: Error; thrown?: undefined } | { error?: undefined; thrown: unknown; text: string } {
  if (!isRemote(wire)) return { thrown: wire, text: textOf(wire) };
  if (wire[kRemote] === 2) return { thrown: wire.value, text: wire.text };
  const error = instantiate(wire, classes) as Error & Record<string, unknown>;
  if (wire.props) for (const [k, v] of Object.entries(wire.props)) error[k] = v;
  if (error.name !== wire.name && !Object.hasOwn(error, 'name')) define(error, 'name', wire.name);
  define(error, 'stack', wire.stack ?? `${wire.name}: ${wire.message}`);
  if (wire.code !== undefined) error.code = wire.code;
  if (wire.cause !== undefined) define(error, 'cause', rebuild(wire.cause, classes));
  return { error };
}

/** Rebuilds a record into the value that was thrown (an Error, or the non-Error itself). */
export function rebuild(value: unknown, classes?: ErrorClasses): unknown {
  if (!isRemote(value)) return value;
  const r = fromRemote(value, classes);
  return r.error ?? r.thrown;
}

/** Like `rebuild`, but always an Error: a thrown non-Error becomes an Error carrying its text. */
export function rebuildError(value: unknown, classes?: ErrorClasses): Error {
  const r = fromRemote(value, classes);
  return r.error ?? new Error(`a non-Error value was thrown: ${r.text}`);
}

/**
 * An error a foreign worker reported over the line protocol (docs/protocol.md):
 * `{ message, name?, code?, stack?, ...fields }` becomes an Error with that
 * name, message and code, the worker's own stack (a Python traceback stays
 * readable), and the other fields as properties. Anything else is wrapped.
 */
export function fromForeign(e: unknown, task: string, classes?: ErrorClasses): Error {
  if (e === null || typeof e !== 'object' || Array.isArray(e)) {
    return new Error(`Task '${task}' failed in the worker: ${textOf(e)}`);
  }
  const f = e as Record<string, unknown>;
  const name = typeof f.name === 'string' && f.name !== '' ? f.name : 'Error';
  const message = typeof f.message === 'string' ? f.message : textOf(f.message ?? null);
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) if (k !== 'name' && k !== 'message' && k !== 'stack') props[k] = v;
  const stack =
    typeof f.stack === 'string' && f.stack !== '' ? f.stack : `${name}: ${message}\n    at (worker task '${task}')`;
  const { code, ...rest } = props;
  const wire: RemoteError = { [kRemote]: 1, name, message, stack, props: rest };
  if (code !== undefined) wire.code = code;
  return fromRemote(wire, classes).error!;
}
