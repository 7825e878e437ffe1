// Rebuilds an error a line-protocol worker reported (docs/protocol.md) as a JS Error.

const standard: Record<string, ErrorConstructor> = { TypeError, RangeError, SyntaxError, ReferenceError };
const known = new Set(['name', 'message', 'stack']);

/**
 * `{ message, name?, code?, stack?, ...fields }` becomes an Error with that
 * name, message and code, the worker's own stack (a Python traceback stays
 * readable), and the other fields as properties. Anything else is wrapped.
 */
export function remoteError(e: unknown, task: string): Error {
  if (e === null || typeof e !== 'object' || Array.isArray(e)) {
    const text = typeof e === 'string' ? e : JSON.stringify(e);
    return new Error(`Task '${task}' failed in the worker: ${text}`);
  }
  const f = e as Record<string, unknown>;
  const name = typeof f.name === 'string' && f.name !== '' ? f.name : 'Error';
  const message = typeof f.message === 'string' ? f.message : JSON.stringify(f.message ?? null);
  const error = new (standard[name] ?? Error)(message) as Error & Record<string, unknown>;
  for (const [k, v] of Object.entries(f)) if (!known.has(k)) error[k] = v;
  if (error.name !== name) Object.defineProperty(error, 'name', { value: name, configurable: true, writable: true });
  const stack =
    typeof f.stack === 'string' && f.stack !== '' ? f.stack : `${name}: ${message}\n    at (worker task '${task}')`;
  Object.defineProperty(error, 'stack', { value: stack, configurable: true, writable: true });
  return error;
}
