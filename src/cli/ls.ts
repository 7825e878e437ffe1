// `spindle ls`: every running supervisor of this user, from every control directory.
import { list } from '../control/client.js';
import { searchDirectories } from '../control/dirs.js';
import { CliUsageError } from '../errors/index.js';
import { defineCommand, useColor } from './command.js';
import { JSON_FLAG, printJson, reporting } from './control.js';
import { age, type Cell, screenWidth, stateStyle, table } from './table.js';

const spec = {
  name: 'ls',
  summary: "list this user's running supervisors (spindle start and work)",
  usage: 'spindle ls [--json]',
  description: `Lists every running supervisor ('spindle start', kind start) and work node
('spindle work', kind work) of this user: name, kind, pid, workers
ready/wanted, uptime, restarts and state. It looks in every control directory
($SPINDLE_HOME if set; else $XDG_RUNTIME_DIR/spindle and ~/.spindle).`,
  flags: { json: JSON_FLAG },
  examples: ['spindle ls', "spindle ls --json | jq -r '.supervisors[].name'"],
} as const satisfies Parameters<typeof defineCommand>[0];

export const command = defineCommand(spec, (args) => {
  const json = args.values.json === true;
  return reporting(json, async () => {
    if (args.positionals.length > 0)
      throw new CliUsageError(`'spindle ls' takes no arguments (got '${args.positionals[0]}')`);
    const found = await list();
    const supervisors = found.map((f) =>
      'status' in f
        ? {
            name: f.status.name,
            kind: f.status.kind,
            pid: f.status.pid,
            state: f.status.state,
            ready: f.status.ready,
            wanted: f.status.wanted,
            uptime: f.status.uptime,
            restarts: f.status.restarts,
            socket: f.path,
          }
        : {
            name: f.name,
            kind: null,
            pid: null,
            state: 'unreachable',
            ready: null,
            wanted: null,
            uptime: null,
            restarts: null,
            socket: f.path,
            error: { code: (f.error as { code?: string }).code ?? null, message: f.error.message },
          },
    );
    if (json) {
      printJson({ supervisors });
      return 0;
    }
    if (supervisors.length === 0) {
      process.stderr.write(`No supervisor is running (looked in ${searchDirectories().join(', ')})\n`);
      return 0;
    }
    const rows: Cell[][] = supervisors.map((s) => [
      s.name ?? '-',
      s.kind ?? '-',
      s.pid === null ? '-' : String(s.pid),
      s.ready === null ? '-' : `${s.ready}/${s.wanted}`,
      age(s.uptime),
      s.restarts === null ? '-' : String(s.restarts),
      { text: s.state, style: stateStyle(s.state) },
    ]);
    const columns = [
      { header: 'NAME', flexible: true },
      { header: 'KIND' },
      { header: 'PID', align: 'right' as const },
      { header: 'WORKERS', align: 'right' as const },
      { header: 'UPTIME', align: 'right' as const },
      { header: 'RESTARTS', align: 'right' as const },
      { header: 'STATE' },
    ];
    process.stdout.write(`${table(columns, rows, { color: useColor(), width: screenWidth() })}\n`);
    return 0;
  });
});
