// `spindle start app.js`: runs a server on every core in the foreground,
// under a name the other commands reach it by (spindle status/reload/scale/
// logs/stop NAME, through its control socket). SIGHUP reloads (rolling, zero
// downtime); SIGTERM/SIGINT stop gracefully and exit 0 when every worker
// drained in time.
import { dirname, resolve } from 'node:path';
import { MIN_HEARTBEAT, probePath } from '../cluster/options.js';
import { parseSticky } from '../cluster/sticky/key.js';
import { supervise } from '../cluster/supervisor.js';
import type { StickySpec, SuperviseOptions } from '../cluster/types.js';
import { watchPaths } from '../cluster/watch.js';
import { checkName, defaultName } from '../control/dirs.js';
import { Feed } from '../dashboard/feed.js';
import { dashboardRoutes } from '../dashboard/routes.js';
import { supervisorSource } from '../dashboard/sources.js';
import { serveAdmin } from '../observe/admin.js';
import { toPath } from '../util/paths.js';
import { type AdminRequest, adminFlag, adminFlags, forgetAdminToken } from './admin.js';
import {
  type Command,
  choiceFlag,
  configureLog,
  defineCommand,
  durationFlag,
  foreground,
  log,
  type Parsed,
  parseCommand,
  positional,
  positiveIntegerFlag,
  sizeFlag,
  text,
  workersFlag,
} from './command.js';

const spec = {
  name: 'start',
  summary: 'run a server on every core (reload on SIGHUP, drain on SIGTERM)',
  usage: 'spindle start <script> [options] [-- app args]',
  description: `Runs <script> (ESM, CommonJS, or TypeScript when tsx is installed) in one
worker process per CPU, sharing its port, in the foreground, under a NAME
that 'spindle ls/status/reload/scale/logs/stop NAME' reach it by.
  SIGHUP           rolling reload, one worker at a time (picks up new code)
  SIGTERM, SIGINT  graceful stop; exit code 0 when every worker drained in time
It also stops gracefully when the launcher that started it (npx, npm run, a
shell) exits, unless --allow-orphan is given. A NAME that is running already
is refused (exit code 2).`,
  flags: {
    name: {
      type: 'string',
      short: 'n',
      value: 'NAME',
      help: "the name for 'spindle status NAME' etc.: letters, digits, . _ - (default: the script's base name)",
    },
    workers: {
      type: 'string',
      short: 'w',
      value: 'N|auto',
      help: 'number of workers (default: auto = CPUs this container may use)',
    },
    grace: {
      type: 'string',
      value: 'DURATION',
      help: 'time to drain before SIGTERM, one deadline for all (default: 10s)',
    },
    'kill-grace': { type: 'string', value: 'DURATION', help: 'time after SIGTERM before SIGKILL (default: 5s)' },
    'ready-timeout': {
      type: 'string',
      value: 'DURATION',
      help: 'time a new worker gets to become ready (default: 30s)',
    },
    'wait-ready': { type: 'boolean', help: 'a worker is ready when it calls ready(), not when it first listens' },
    probe: { type: 'string', value: 'PATH', help: 'GET PATH on each new worker; it takes traffic only after a 2xx' },
    sticky: { type: 'string', value: 'MODE', help: 'pin clients to workers: ip | header:NAME | cookie:NAME' },
    heartbeat: { type: 'string', value: 'DURATION', help: 'replace a worker whose event loop is blocked this long' },
    'max-memory': { type: 'string', value: 'SIZE', help: 'replace a worker whose RSS stays above SIZE (e.g. 512M)' },
    'max-crashes': { type: 'string', value: 'N', help: 'give a slot up at the Nth crash in a row (default: 5)' },
    'log-prefix': { type: 'boolean', help: 'prefix each line of worker output with [id]' },
    'log-format': {
      type: 'string',
      value: 'text|json',
      help: 'json: one JSON object per line {time, worker, pid, stream, message|json} (default: text)',
    },
    'log-time': { type: 'boolean', help: 'text: put an ISO time in front of every line' },
    watch: {
      type: 'string',
      value: 'PATH',
      optionalValue: true,
      multiple: true,
      help: "reload when a file changes (default: the script's directory); --watch=src,config or repeat it",
    },
    'allow-orphan': { type: 'boolean', help: 'keep running when the launcher exits (nohup … &, setsid)' },
    ...adminFlags,
  },
  notes: `Durations: 500ms, 10s, 2m, 1h (the unit is required). Sizes: 300K, 512M, 1G.
--watch skips node_modules and .git; a change that breaks start-up keeps the
old workers serving. Worker output passes through spindle unchanged (whole
lines) and the last lines of each worker are kept for 'spindle logs NAME'.`,
  examples: [
    'spindle start server.js',
    'spindle start dist/server.js --name api --workers 4 --grace 30s',
    'spindle start server.js --watch              # development: reload on save',
    'spindle start server.js --log-format json    # for log collectors',
    'spindle start src/server.ts --probe /healthz --ready-timeout 1m',
    'spindle start server.js --sticky cookie:sid --log-prefix -- --port 8080',
    'kill -HUP <pid>   # rolling reload (<pid>: the "running as pid" line)',
    'spindle start server.js --admin 9100   # http://127.0.0.1:9100/metrics',
  ],
} as const satisfies Parameters<typeof defineCommand>[0];

/** What `spindle start` was asked for: the supervise() options and the CLI's own switches. */
export interface StartRequest {
  options: SuperviseOptions & { name: string };
  allowOrphan: boolean;
  /** --watch: the paths to watch (absolute), or undefined. */
  watch: string[] | undefined;
  /** --admin: the admin listener's address and token, or undefined. */
  admin: AdminRequest | undefined;
}

/** A bare `--watch` (no `=PATH`) means the script's directory: parseArgs needs a value, so it gets an empty one. */
function optionalWatch(argv: string[]): string[] {
  const cut = argv.indexOf('--');
  return argv.map((a, i) => (a === '--watch' && (cut < 0 || i < cut) ? '--watch=' : a));
}

/** `spindle start` argv → options (no side effects); undefined for --help. Throws ERR_CLI_USAGE / ERR_INVALID_OPTION. */
export function startOptions(argv: string[]): StartRequest | undefined {
  const args = parseCommand(spec, optionalWatch(argv));
  return args && fromArgs(args);
}

function watchFlag(args: Parsed, script: string): string[] | undefined {
  const values = args.values.watch;
  if (!Array.isArray(values)) return undefined;
  const paths = values.flatMap((v) => v.split(',')).map((p) => p.trim());
  const out = new Set<string>();
  for (const p of paths) out.add(p === '' ? dirname(resolve(toPath('--watch', script))) : toPath('--watch', p));
  return [...out];
}

function stickyFlag(value: string): StickySpec {
  parseSticky('--sticky', value);
  return value as StickySpec;
}

function fromArgs(args: Parsed): StartRequest {
  const script = positional(
    args,
    0,
    "Missing <script>: which file should the workers run? (e.g. 'spindle start server.js')",
  );
  const probe = text(args, 'probe');
  const sticky = text(args, 'sticky');
  const maxCrashes = positiveIntegerFlag(args, 'max-crashes');
  const name = text(args, 'name');
  const options: SuperviseOptions & { name: string } = {
    script,
    name: name === undefined ? defaultName(script) : checkName('--name', name),
    args: [...args.positionals.slice(1), ...args.rest],
    workers: workersFlag(args),
    grace: durationFlag(args, 'grace'),
    killGrace: durationFlag(args, 'kill-grace'),
    readyTimeout: durationFlag(args, 'ready-timeout'),
    waitReady: args.values['wait-ready'] === true,
    probe: probe === undefined ? undefined : probePath('--probe', probe),
    sticky: sticky === undefined ? undefined : stickyFlag(sticky),
    heartbeat: durationFlag(args, 'heartbeat', { min: MIN_HEARTBEAT }),
    maxMemory: sizeFlag(args, 'max-memory'),
    restart: maxCrashes === undefined ? undefined : { maxCrashes },
    logPrefix: args.values['log-prefix'] === true,
    logFormat: choiceFlag(args, 'log-format', ['text', 'json'] as const),
    logTime: args.values['log-time'] === true ? true : undefined,
  };
  for (const key of Object.keys(options) as (keyof SuperviseOptions)[])
    if (options[key] === undefined) delete options[key];
  return {
    options,
    allowOrphan: args.values['allow-orphan'] === true,
    watch: watchFlag(args, script),
    admin: adminFlag(args, process.env),
  };
}

async function run(args: Parsed): Promise<number> {
  const { options, allowOrphan, watch, admin } = fromArgs(args);
  configureLog(options.logFormat ?? 'text', options.logTime === true);
  if (admin) forgetAdminToken();
  return foreground(
    async () => {
      const sup = await supervise({ ...options, logger: log });
      if (admin) {
        const control = sup.controlTarget();
        // The dashboard's history starts now, with the admin listener.
        const feed = new Feed(supervisorSource(sup));
        const server = await serveAdmin(
          { kind: 'start', status: control.status, metrics: () => sup.metrics(), control },
          { host: admin.host, port: admin.port, token: admin.token, routes: dashboardRoutes(feed) },
        ).catch(async (err: Error) => {
          feed.close();
          await sup.destroy();
          throw err;
        });
        sup.once('closed', () => {
          feed.close(); // the pages get the final state, then their streams end
          void server.close();
        });
        log(`admin endpoint at ${server.url} (dashboard, /metrics, /status)${admin.token ? ', token required' : ''}`);
      }
      log(
        `running as pid ${process.pid}, name '${options.name}' (spindle status|logs|reload|stop ${options.name}; SIGHUP reloads, SIGTERM stops)`,
      );
      let gaveUp = false;
      let onEnd: (code: number) => void = () => {};
      // However it is stopped (a signal, `spindle stop`, every slot crash-looping), the command ends with it.
      sup.once('closed', (r) => onEnd(gaveUp ? 1 : r.clean ? 0 : 1));
      sup.on('crashLoop', () => {
        if (gaveUp || !sup.workers.every((w) => w.state === 'failed')) return;
        gaveUp = true;
        log('every worker is crash-looping; giving up');
        void sup.close();
      });
      const watcher = watch
        ? watchPaths(
            watch,
            (files) => {
              if (sup.state !== 'running') return;
              const shown = files.slice(0, 3).join(', ') + (files.length > 3 ? ` and ${files.length - 3} more` : '');
              log(`${shown} changed: reloading`);
              // A failure is logged by the supervisor ("Reload refused: …"); the old workers keep serving.
              sup.reload().catch(() => {});
            },
            { warn: log },
          )
        : undefined;
      if (watcher) {
        await watcher.ready;
        log(`watching ${watcher.directories} director${watcher.directories === 1 ? 'y' : 'ies'} for changes`);
        sup.once('closing', () => watcher.close());
      }
      return {
        patience: 'still draining, be patient (SIGKILL the supervisor to abort)',
        reload() {
          if (sup.state !== 'running') return;
          log('SIGHUP received: reloading');
          // Failures are logged by the supervisor; the old workers keep serving.
          sup.reload().catch(() => {});
        },
        stop: () => sup.close().then((r) => (gaveUp ? 1 : r.clean ? 0 : 1)),
        ended: new Promise<number>((resolve) => (onEnd = resolve)),
      };
    },
    { allowOrphan, hangup: 'reload' },
  );
}

const parsed = defineCommand(spec, run);
/** `spindle start`: `--watch` may come without a value, which parseArgs cannot express, so argv is prepared first. */
export const command: Command = { spec: parsed.spec, run: (argv) => parsed.run(optionalWatch(argv)) };
