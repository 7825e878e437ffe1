// `spindle status NAME`: one supervisor in detail, from its one status snapshot.
import type { ClusterWorkerStatus, SupervisorStatus } from '../cluster/types.js';
import type { ControlStatusCommon } from '../control/types.js';
import type { WorkStatus } from '../queue/work.js';
import { defineCommand, useColor } from './command.js';
import { connect, JSON_FLAG, nameArg, printJson, reporting } from './control.js';
import { age, type Cell, millis, paint, percent, screenWidth, size, stateStyle, table } from './table.js';

const spec = {
  name: 'status',
  summary: 'one supervisor or work node in detail: workers, memory, CPU',
  usage: 'spindle status NAME [--json]',
  description: `Shows the supervisor named NAME and each of its workers: slot id, pid, state,
uptime, restarts, RSS, CPU (percent of one core over the last second),
event-loop lag p50/p99 (ms), event-loop utilisation, and how the last worker
of each slot exited. For a 'spindle work' node: its pool's workers (id, state,
jobs run, the job it runs now), the process's RSS and CPU, and its jobs
(active, completed, failed). Exit code 1 when nothing of that name is running.`,
  flags: { json: JSON_FLAG },
  examples: ['spindle status api', "spindle status api --json | jq '.workers[] | {id, pid, rss: .stats.rss}'"],
} as const satisfies Parameters<typeof defineCommand>[0];

const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

/** Cuts a line to `width`, keeping its end (paths) or its start. */
function fit(line: string, width: number, keepEnd = false): string {
  if (line.length <= width) return line;
  return keepEnd ? `…${line.slice(line.length - width + 1)}` : `${line.slice(0, width - 1)}…`;
}

function header(s: ControlStatusCommon, color: boolean, width: number): string[] {
  const state = paint(s.state, stateStyle(s.state), color);
  return [
    `${s.name ?? '(unnamed)'} (${s.kind}): ${state}, pid ${s.pid}, up ${age(s.uptime)}`,
    fit(`workers ${s.ready}/${s.wanted} ready, ${plural(s.restarts, 'restart')}`, width),
  ];
}

function workerRow(w: ClusterWorkerStatus): Cell[] {
  const st = w.stats;
  return [
    String(w.id),
    w.pid === null ? '-' : String(w.pid),
    { text: w.state, style: stateStyle(w.state) },
    age(w.uptime),
    String(w.restarts),
    size(st?.rss),
    st ? percent(st.cpu) : '-',
    st ? `${millis(st.eventLoopDelay.p50)}/${millis(st.eventLoopDelay.p99)}` : '-',
    st ? percent(st.eventLoopUtilization * 100) : '-',
  ];
}

const WORKER_COLUMNS = [
  { header: 'ID', align: 'right' as const },
  { header: 'PID', align: 'right' as const },
  { header: 'STATE' },
  { header: 'UPTIME', align: 'right' as const },
  { header: 'RESTARTS', align: 'right' as const },
  { header: 'RSS', align: 'right' as const },
  { header: 'CPU', align: 'right' as const },
  { header: 'LAG p50/p99 ms', align: 'right' as const },
  { header: 'ELU', align: 'right' as const },
];

/** The human form of a `spindle start` supervisor's status. */
export function renderStart(s: SupervisorStatus, color: boolean, width: number): string {
  const [first, second] = header(s, color, width);
  const out = [
    `${first}, RSS ${size(s.supervisor.rss)}`,
    fit(
      `${second}, ${plural(s.crashes, 'crash', 'crashes')}; reloads: ${s.reloads.ok} ok, ${s.reloads.failed} failed`,
      width,
    ),
    fit(`script ${s.script}`, width, true),
  ];
  out.push('', table(WORKER_COLUMNS, s.workers.map(workerRow), { color, width }));
  const exits = s.workers.filter((w) => w.lastExit);
  if (exits.length > 0) {
    out.push('', 'Last exits:');
    const now = Date.now();
    for (const w of exits) {
      const e = w.lastExit!;
      const line = `  ${w.id}: pid ${e.pid}, ${e.reason}, ${e.detail} (${age(now - e.at)} ago)`;
      out.push(
        paint(line.length > width ? `${line.slice(0, width - 1)}…` : line, e.expected ? undefined : 'red', color),
      );
    }
  }
  return `${out.join('\n')}\n`;
}

const WORK_COLUMNS = [
  { header: 'ID', align: 'right' as const },
  { header: 'PID', align: 'right' as const },
  { header: 'STATE' },
  { header: 'JOBS RUN', align: 'right' as const },
  { header: 'RUNNING', flexible: true },
];

/** The human form of a `spindle work` node's status. */
export function renderWork(s: WorkStatus, color: boolean, width: number): string {
  const [first, second] = header(s, color, width);
  const p = s.process;
  const now = Date.now();
  const out = [
    `${first}, RSS ${size(p.rss)}, CPU ${p.cpu === null ? '-' : percent(p.cpu)}`,
    fit(`${second}; reloads: ${s.reloads.ok} ok, ${s.reloads.failed} failed`, width),
    fit(`jobs: ${s.jobs.active} active, ${s.jobs.completed} completed, ${s.jobs.failed} failed`, width),
    fit(`queue '${s.queue}', ${s.runtime} workers, tasks ${s.tasks}`, width, true),
    '',
    table(
      WORK_COLUMNS,
      s.workers.map((w) => [
        String(w.id),
        w.pid === null ? '-' : String(w.pid),
        { text: w.state, style: stateStyle(w.state === 'idle' || w.state === 'busy' ? 'ready' : w.state) },
        String(w.tasks),
        w.job ? `${w.job.name}${w.job.id === null ? '' : ` #${w.job.id}`} (${age(now - w.job.since)})` : '-',
      ]),
      { color, width },
    ),
  ];
  return `${out.join('\n')}\n`;
}

export const command = defineCommand(spec, (args) => {
  const json = args.values.json === true;
  return reporting(json, async () => {
    const name = nameArg(args, 'status');
    const client = await connect(name);
    try {
      const status = (await client.request('status', {}, { timeout: 10_000 })) as ControlStatusCommon;
      if (json) printJson(status);
      else if (status.kind === 'start')
        process.stdout.write(renderStart(status as SupervisorStatus, useColor(), screenWidth()));
      else if (status.kind === 'work' && 'workers' in status)
        process.stdout.write(renderWork(status as WorkStatus, useColor(), screenWidth()));
      else process.stdout.write(`${header(status, useColor(), screenWidth()).join('\n')}\n`);
      return 0;
    } finally {
      client.close();
    }
  });
});
