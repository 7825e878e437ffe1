// One line of output as the control plane and `--log-format json` show it.
// Internally a line keeps its time as a number and its text as a string; the
// record is what is printed or sent: ISO time, and a line that is itself a
// JSON object embedded as `json` instead of escaped into `message`.

/** Where a line came from: a worker's stdout or stderr, or the supervisor's own log. */
export type LogStream = 'stdout' | 'stderr' | 'spindle';

/** A line as kept in memory. */
export interface LogLine {
  /** When it was read (ms since the epoch). */
  time: number;
  /** The worker (slot) id, or null for the supervisor's own lines. */
  worker: number | null;
  /** The process that wrote it. */
  pid: number;
  stream: LogStream;
  /** The text, without its newline. */
  text: string;
}

/** A line as printed (`--log-format json`, `spindle logs --json`) and sent on the control socket. */
export interface LogRecord {
  time: string;
  worker: number | null;
  pid: number;
  stream: LogStream;
  /** The line, when it is not a JSON object. */
  message?: string;
  /** The line parsed, when it is a JSON object (`{...}`): embedded, not escaped. */
  json?: Record<string, unknown>;
}

/** The line parsed when it is a JSON object, else undefined (numbers, strings and arrays stay text). */
export function jsonObject(text: string): Record<string, unknown> | undefined {
  // Cheap test first: most lines are not JSON and must not pay for a parse.
  if (text.charCodeAt(0) !== 123 /* { */ || text.charCodeAt(text.length - 1) !== 125 /* } */) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The record of a line. */
export function toRecord(line: LogLine): LogRecord {
  const base = { time: new Date(line.time).toISOString(), worker: line.worker, pid: line.pid, stream: line.stream };
  const json = jsonObject(line.text);
  return json ? { ...base, json } : { ...base, message: line.text };
}

/** A line of spindle's own log as printed in each format: `[spindle] …` (after an ISO time with `time`), or a record. */
export function formatOwnLine(line: string, format: 'text' | 'json', time: boolean): string {
  if (format === 'json') {
    const text = line.replaceAll('\n', ' ');
    return `${JSON.stringify(toRecord({ time: Date.now(), worker: null, pid: process.pid, stream: 'spindle', text }))}\n`;
  }
  return `${time ? `${new Date().toISOString()} ` : ''}[spindle] ${line}\n`;
}
