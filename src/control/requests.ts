// Reading a request line: JSON, shape, version, command and its arguments,
// each refused with ERR_CONTROL_BAD_REQUEST and a reason (docs/control.md).
// Whatever a client sends, the result is a checked request or that error.
import { ControlBadRequestError, type ControlBadRequestReason } from '../errors/index.js';
import { parseDuration } from '../util/duration.js';
import { describe, MAX_WORKERS } from '../util/validate.js';
import {
  COMMANDS,
  type Command,
  type Commands,
  MAX_LOG_LINES,
  PROTOCOL_VERSION,
  type Request,
  type RequestId,
  SUPPORTED_VERSIONS,
} from './protocol.js';

function bad(reason: ControlBadRequestReason, message: string): ControlBadRequestError {
  return new ControlBadRequestError(reason, message);
}

/** The id of a request, as far as it can be read (for the reply to a refused request). */
export function idOf(value: unknown): RequestId {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}

function isInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

type ArgCheck<C extends Command> = (args: Record<string, unknown>) => Commands[C];

function only(cmd: string, args: Record<string, unknown>, known: string[]): void {
  const extra = Object.keys(args).find((k) => !known.includes(k));
  if (extra !== undefined) {
    throw bad(
      'args',
      `Unknown argument '${extra}' for '${cmd}' (${known.length ? `valid: ${known.join(', ')}` : 'it takes none'})`,
    );
  }
}

function none(cmd: string, args: Record<string, unknown>): Record<string, never> {
  only(cmd, args, []);
  return {};
}

/** One checker per command: the compiler keeps this table complete. */
const argChecks: { [C in Command]: ArgCheck<C> } = {
  hello: (a) => none('hello', a),
  status: (a) => none('status', a),
  reload: (a) => none('reload', a),
  scale(a) {
    only('scale', a, ['workers', 'by']);
    const { workers, by } = a;
    if ((workers === undefined) === (by === undefined)) {
      throw bad('args', "'scale' takes either `workers` (a number or 'auto') or `by` (a non-zero integer)");
    }
    if (workers !== undefined && workers !== 'auto' && !(isInteger(workers) && workers >= 1 && workers <= MAX_WORKERS))
      throw bad(
        'args',
        `Expected \`workers\` to be an integer from 1 to ${MAX_WORKERS} or 'auto', got ${describe(workers)}`,
      );
    if (by !== undefined && !(isInteger(by) && by !== 0 && Math.abs(by) <= MAX_WORKERS))
      throw bad(
        'args',
        `Expected \`by\` to be a non-zero integer (at most ${MAX_WORKERS} either way), got ${describe(by)}`,
      );
    return workers !== undefined ? { workers: workers as number | 'auto' } : { by: by as number };
  },
  stop(a) {
    only('stop', a, ['grace']);
    if (a.grace === undefined) return {};
    try {
      return { grace: parseDuration('grace', a.grace) };
    } catch (err) {
      throw bad('args', (err as Error).message);
    }
  },
  logs(a) {
    only('logs', a, ['lines', 'follow', 'worker']);
    const { lines = 20, follow = false, worker } = a;
    if (!(isInteger(lines) && lines >= 0 && lines <= MAX_LOG_LINES))
      throw bad('args', `Expected \`lines\` to be an integer from 0 to ${MAX_LOG_LINES}, got ${describe(lines)}`);
    if (typeof follow !== 'boolean') throw bad('args', `Expected \`follow\` to be a boolean, got ${describe(follow)}`);
    if (worker !== undefined && !(isInteger(worker) && worker >= 1 && worker <= MAX_WORKERS))
      throw bad('args', `Expected \`worker\` to be a worker id from 1 to ${MAX_WORKERS}, got ${describe(worker)}`);
    return { lines, follow, ...(worker === undefined ? {} : { worker: worker as number }) };
  },
};

/** Parses and checks one request line; throws ControlBadRequestError. */
export function readRequest(line: string): Request {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw bad('json', 'The request is not JSON (one JSON object per line, see docs/control.md)');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw bad('shape', `A request is a JSON object {"v":1,"id":…,"cmd":…}, got ${describe(value)}`);
  const o = value as Record<string, unknown>;
  if (o.v !== PROTOCOL_VERSION) {
    throw bad(
      'version',
      `Unsupported protocol version ${describe(o.v)}: this supervisor speaks ${SUPPORTED_VERSIONS.join(', ')} (put "v":${PROTOCOL_VERSION} in every request)`,
    );
  }
  const id = o.id;
  if (id !== undefined && id !== null && typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id)))
    throw bad('shape', `Expected \`id\` to be a string, a number or null, got ${describe(id)}`);
  const cmd = o.cmd;
  if (typeof cmd !== 'string' || !(COMMANDS as readonly string[]).includes(cmd))
    throw bad('command', `Unknown command ${describe(cmd)}: valid commands are ${COMMANDS.join(', ')}`);
  const args = o.args ?? {};
  if (args === null || typeof args !== 'object' || Array.isArray(args))
    throw bad('args', `Expected \`args\` to be an object, got ${describe(args)}`);
  const check = argChecks[cmd as Command] as ArgCheck<Command>;
  return { v: PROTOCOL_VERSION, id: (id ?? null) as RequestId, cmd: cmd as Command, args: check({ ...args }) };
}
