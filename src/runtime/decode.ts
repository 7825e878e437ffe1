import { NonErrorThrownError } from '../errors.js';
import { fromWire } from './codec.js';

/** Turns a wire error from a worker into what the task's promise rejects with. */
export function decodeError(taskName: string, wire: unknown): Error {
  const r = fromWire(wire);
  return 'error' in r ? r.error : new NonErrorThrownError(taskName, r.thrown, r.text);
}
