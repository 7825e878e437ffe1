// 'error' events, one rule for every spindle object (docs/conventions.md,
// rule 8): delivered to listeners; with none, a process warning — never a
// throw (EventEmitter's default for an unheard 'error'), never dropped.
import type { EventEmitter } from 'node:events';

/** Emits `error` as an 'error' event, or as a process warning when nobody listens. */
export function emitError(emitter: EventEmitter, error: unknown): void {
  if (emitter.listenerCount('error') > 0) emitter.emit('error', error);
  else
    process.emitWarning(error instanceof Error ? error : new Error(`a non-Error value was thrown: ${String(error)}`));
}
