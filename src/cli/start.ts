// `spindle start app.js`: runs a server on every core in the foreground.
// SIGHUP reloads (rolling, zero downtime); SIGTERM/SIGINT stop gracefully and
// exit 0 when every worker drained in time.

import { MIN_HEARTBEAT, probePath } from '../cluster/options.js';
import { parseSticky } from '../cluster/sticky/key.js';
import { supervise } from '../cluster/supervisor.js';
import type { StickySpec, SuperviseOptions } from '../cluster/types.js';
import {
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
worker process per CPU, sharing its port, in the foreground.
  SIGHUP           rolling reload, one worker at a time (picks up new code)
  SIGTERM, SIGINT  graceful stop; exit code 0 when every worker drained in time
It also stops gracefully when the launcher that started it (npx, npm run, a
shell) exits, unless --allow-orphan is given.`,
  flags: {
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
    'allow-orphan': { type: 'boolean', help: 'keep running when the launcher exits (nohup … &, setsid)' },
  },
  notes: 'Durations: 500ms, 10s, 2m, 1h (the unit is required). Sizes: 300K, 512M, 1G.',
  examples: [
    'spindle start server.js',
    'spindle start dist/server.js --workers 4 --grace 30s',
    'spindle start src/server.ts --probe /healthz --ready-timeout 1m',
    'spindle start server.js --sticky cookie:sid --log-prefix -- --port 8080',
    'kill -HUP <pid>   # rolling reload (<pid>: the "running as pid" line)',
  ],
} as const satisfies Parameters<typeof defineCommand>[0];

/** What `spindle start` was asked for: the supervise() options and the CLI's own switches. */
export interface StartRequest {
  options: SuperviseOptions;
  allowOrphan: boolean;
}

/** `spindle start` argv → options (no side effects); undefined for --help. Throws ERR_CLI_USAGE / ERR_INVALID_OPTION. */
export function startOptions(argv: string[]): StartRequest | undefined {
  const args = parseCommand(spec, argv);
  return args && fromArgs(args);
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
  const options: SuperviseOptions = {
    script,
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
  };
  for (const key of Object.keys(options) as (keyof SuperviseOptions)[])
    if (options[key] === undefined) delete options[key];
  return { options, allowOrphan: args.values['allow-orphan'] === true };
}

export const command = defineCommand(spec, (args) => {
  const { options, allowOrphan } = fromArgs(args);
  return foreground(
    async () => {
      const sup = await supervise(options);
      log(`running as pid ${process.pid} (SIGHUP reloads, SIGTERM stops)`);
      let gaveUp: Promise<number> | undefined;
      let onGiveUp: (code: number) => void = () => {};
      sup.on('crashLoop', () => {
        if (gaveUp || !sup.workers.every((w) => w.state === 'failed')) return;
        log('every worker is crash-looping; giving up');
        gaveUp = sup.close().then(() => 1);
        void gaveUp.then((code) => onGiveUp(code));
      });
      return {
        patience: 'still draining, be patient (SIGKILL the supervisor to abort)',
        reload() {
          if (sup.state !== 'running') return;
          log('SIGHUP received: reloading');
          // Failures are logged by the supervisor; the old workers keep serving.
          sup.reload().catch(() => {});
        },
        stop: () => sup.close().then((r) => (gaveUp ? 1 : r.clean ? 0 : 1)),
        // Crash-looping everywhere ends the command without a signal.
        ended: new Promise<number>((resolve) => (onGiveUp = resolve)),
      };
    },
    { allowOrphan, hangup: 'reload' },
  );
});
