// `spindle logs NAME`: the last lines of the workers' output (kept by the
// supervisor, a bounded ring per worker), and with -f every new line.
import type { LogRecord } from '../control/log.js';
import { invalid } from '../util/validate.js';
import { type Command, defineCommand, positiveIntegerFlag, text, useColor } from './command.js';
import { connect, nameArg, reporting } from './control.js';
import { paint } from './table.js';

const spec = {
  name: 'logs',
  summary: "the workers' recent output (and -f: follow it)",
  usage: 'spindle logs NAME [-n N] [-f] [--worker ID] [--json]',
  description: `Prints the last N lines the workers of the supervisor named NAME wrote (the
supervisor keeps the last 256 KiB of each worker's output, across reloads),
with its own log lines, each tagged with time, worker id and stream; -f then
follows new lines until Ctrl-C or until the supervisor stops. For a
'spindle work' node: what that process wrote to stdout and stderr (its worker
threads' console included), tagged [out] and [err], and its own log lines.`,
  flags: {
    lines: { type: 'string', short: 'n', value: 'N', help: 'how many lines (default: 20; 0 with -f: only new ones)' },
    follow: { type: 'boolean', short: 'f', help: 'keep printing new lines' },
    worker: { type: 'string', value: 'ID', help: 'only the output of worker ID' },
    json: { type: 'boolean', help: 'one JSON object per line: {time, worker, pid, stream, message|json}' },
  },
  examples: ['spindle logs api', 'spindle logs api -n 100 -f', 'spindle logs api --worker 2 --json'],
} as const satisfies Parameters<typeof defineCommand>[0];

function tag(r: LogRecord): string {
  if (r.worker === null) return r.stream === 'spindle' ? '[spindle]' : r.stream === 'stderr' ? '[err]' : '[out]';
  return `[${r.worker}${r.stream === 'stderr' ? ' err' : ''}]`;
}

/** The human form of one line: time, [worker (err)], the line as written. */
export function formatLine(r: LogRecord, color: boolean): string {
  const line = r.json ? JSON.stringify(r.json) : (r.message ?? '');
  const style = r.stream === 'stderr' ? 'red' : r.worker === null ? 'yellow' : 'cyan';
  return `${paint(r.time, 'dim', color)} ${paint(tag(r), style, color)} ${line}\n`;
}

function linesFlag(value: string | undefined): number {
  if (value === undefined) return 20;
  if (!/^\d{1,6}$/.test(value) || Number(value) > 100_000) throw invalid('--lines', 'a number from 0 to 100000', value);
  return Number(value);
}

export const command: Command = defineCommand(spec, (args) => {
  const json = args.values.json === true;
  return reporting(json, async () => {
    const name = nameArg(args, 'logs');
    const lines = linesFlag(text(args, 'lines'));
    const worker = positiveIntegerFlag(args, 'worker');
    const follow = args.values.follow === true;
    const color = !json && useColor();
    const print = (r: LogRecord) => process.stdout.write(json ? `${JSON.stringify(r)}\n` : formatLine(r, color));
    const client = await connect(name);
    try {
      const request = { lines, follow, ...(worker === undefined ? {} : { worker }) };
      if (!follow) {
        const result = (await client.request('logs', request)) as { lines: LogRecord[] };
        for (const r of result.lines) print(r);
        return 0;
      }
      // Follow until Ctrl-C (or a closed pipe: `| head`), or until the supervisor stops.
      const stopped = new Promise<number>((resolve) => {
        const end = () => resolve(0);
        process.once('SIGINT', end).once('SIGTERM', end);
        process.stdout.once('error', end);
      });
      const ended = client.request('logs', request, {
        onEvent: (event, data) => {
          if (event === 'log') print(data as LogRecord);
          else if (event === 'dropped')
            process.stderr.write(
              `spindle: ${(data as { lines: number }).lines} lines were dropped (not read in time)\n`,
            );
        },
      });
      return await Promise.race([ended.then(() => 0), stopped]);
    } finally {
      client.close();
    }
  });
});
