import { TaskNonErrorThrownError } from '../errors/index.js';
import { type ErrorClasses, fromRemote } from '../errors/remote.js';

/** Turns an error record from a worker into what the task's promise rejects with. */
export function decodeError(taskName: string, wire: unknown, classes?: ErrorClasses): Error {
  const r = fromRemote(wire, classes);
  return r.error ?? new TaskNonErrorThrownError(taskName, r.thrown, r.text);
}
