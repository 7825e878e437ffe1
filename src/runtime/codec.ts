// Errors cross the worker boundary as plain records: structured clone keeps
// only message/stack of an Error and drops `code`, `cause` and custom fields,
// so both sides agree on this shape instead.

const kWire = '__spindleError';

interface WireError {
  [kWire]: 1;
  name: string;
  message: string;
  stack?: string;
  code?: unknown;
  cause?: unknown;
  errors?: unknown[];
  props?: Record<string, unknown>;
}

interface WireThrown {
  [kWire]: 2;
  value: unknown;
  text: string;
}

const standard: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

const skip = new Set(['name', 'message', 'stack', 'code', 'cause', 'errors']);

function cloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/** Turns anything thrown into a record that survives structured clone. */
export function toWire(err: unknown, depth = 0): WireError | WireThrown {
  if (!(err instanceof Error)) {
    let text: string;
    try {
      text = typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err));
    } catch {
      text = String(err);
    }
    return { [kWire]: 2, value: cloneable(err) ? err : text, text };
  }
  const wire: WireError = { [kWire]: 1, name: err.name, message: err.message, stack: err.stack };
  const { code, cause, errors } = err as Error & { code?: unknown; errors?: unknown };
  if (code !== undefined) wire.code = code;
  if (cause !== undefined && depth < 8) wire.cause = cause instanceof Error ? toWire(cause, depth + 1) : cause;
  if (Array.isArray(errors) && depth < 8) wire.errors = errors.map((e) => toWire(e, depth + 1));
  for (const key of Object.keys(err)) {
    if (skip.has(key)) continue;
    const value = (err as unknown as Record<string, unknown>)[key];
    if (typeof value === 'function' || !cloneable(value)) continue;
    (wire.props ??= {})[key] = value;
  }
  return wire;
}

/** True for a record made by `toWire`. */
export function isWire(value: unknown): value is WireError | WireThrown {
  return typeof value === 'object' && value !== null && kWire in value;
}

/**
 * Rebuilds the thrown value on the receiving side: an Error of the same
 * class name (standard ones get their real constructor) with message, stack,
 * code, cause and own fields. A thrown non-Error comes back as `{ thrown }`.
 */
export function fromWire(wire: unknown): { error: Error } | { thrown: unknown; text: string } {
  if (!isWire(wire)) return { thrown: wire, text: String(wire) };
  if (wire[kWire] === 2) return { thrown: wire.value, text: wire.text };
  const Ctor = standard[wire.name] ?? Error;
  const error: Error & Record<string, unknown> =
    wire.errors !== undefined
      ? (new AggregateError(wire.errors.map(rebuild), wire.message) as unknown as Error & Record<string, unknown>)
      : (new Ctor(wire.message) as Error & Record<string, unknown>);
  if (wire.props) Object.assign(error, wire.props);
  if (error.name !== wire.name)
    Object.defineProperty(error, 'name', { value: wire.name, configurable: true, writable: true });
  if (wire.stack !== undefined)
    Object.defineProperty(error, 'stack', { value: wire.stack, configurable: true, writable: true });
  if (wire.code !== undefined) error.code = wire.code;
  if (wire.cause !== undefined)
    Object.defineProperty(error, 'cause', { value: rebuild(wire.cause), configurable: true, writable: true });
  return { error };
}

function rebuild(value: unknown): unknown {
  if (!isWire(value)) return value;
  const r = fromWire(value);
  return 'error' in r ? r.error : r.thrown;
}
