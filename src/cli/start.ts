// `spindle start app.js`: runs a server on every core in the foreground.
// SIGHUP reloads (rolling, zero downtime); SIGTERM/SIGINT stop gracefully and
// exit 0 when every worker drained in time.

import { workerCount } from '../cluster/options.js';
import { parseSticky } from '../cluster/sticky/key.js';
import { type Supervisor, supervise } from '../cluster/supervisor.js';
import type { SuperviseOptions } from '../cluster/types.js';
import { CliUsageError } from '../errors/index.js';
import { parseBytes } from '../util/bytes.js';
import { parseDurationFlag } from '../util/duration.js';
import { type Flags, flag, parse } from './args.js';
import type { Command } from './index.js';

const flags: Flags = {
  workers: { type: 'string', short: 'w' },
  grace: { type: 'string' },
  'kill-timeout': { type: 'string' },
  'ready-timeout': { type: 'string' },
  'wait-ready': { type: 'boolean' },
  probe: { type: 'string' },
  sticky: { type: 'string' },
  heartbeat: { type: 'string' },
  'max-memory': { type: 'string' },
  'max-crashes': { type: 'string' },
  'log-prefix': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const HELP = `Usage: spindle start <script> [options] [-- app args]

Runs <script> (ESM, CommonJS, or TypeScript when tsx is installed) in one
worker process per CPU, sharing its port, in the foreground.
  SIGHUP           rolling reload, one worker at a time (picks up new code)
  SIGTERM, SIGINT  graceful stop; exit code 0 when every worker drained in time

Options:
  -w, --workers N|auto        number of workers (default: auto = CPUs this container may use)
      --grace DURATION        time to drain before SIGTERM, one deadline for all (default: 10s)
      --kill-timeout DURATION time after SIGTERM before SIGKILL (default: 5s)
      --ready-timeout DURATION time a new worker gets to become ready (default: 30s)
      --wait-ready            a worker is ready when it calls ready(), not when it first listens
      --probe PATH            GET PATH on each new worker; it takes traffic only after a 2xx
      --sticky MODE           pin clients to workers: ip | header:NAME | cookie:NAME
      --heartbeat DURATION    replace a worker whose event loop is blocked this long
      --max-memory SIZE       replace a worker whose RSS stays above SIZE (e.g. 512M)
      --max-crashes N         give a slot up after N crashes in a row (default: 5)
      --log-prefix            prefix each line of worker output with [id]
  -h, --help                  show this help

Durations: 500ms, 10s, 2m, 1h. Sizes: 300K, 512M, 1G.

Examples:
  spindle start server.js
  spindle start dist/server.js --workers 4 --grace 30s
  spindle start src/server.ts --probe /healthz --ready-timeout 1m
  spindle start server.js --sticky cookie:sid --log-prefix -- --port 8080
  kill -HUP <pid>             # reload without dropping a request
`;

function options(argv: string[]): SuperviseOptions | undefined {
  const { values: v, positionals, rest } = parse('start', argv, flags);
  if (v.help) return undefined;
  const [script, ...appArgs] = positionals;
  if (!script)
    throw new CliUsageError("Missing <script>: which file should the workers run? (e.g. 'spindle start server.js')");
  const str = (name: string) => v[name] as string | undefined;
  const duration = (name: string) =>
    str(name) === undefined ? undefined : flag(() => parseDurationFlag(`--${name}`, str(name)!));
  const workers = str('workers');
  const maxCrashes = str('max-crashes');
  return {
    script,
    args: [...appArgs, ...rest],
    workers: flag(() =>
      workerCount('--workers', workers === undefined || workers === 'auto' ? workers : Number(workers) || workers),
    ),
    grace: duration('grace'),
    killTimeout: duration('kill-timeout'),
    readyTimeout: duration('ready-timeout'),
    waitReady: v['wait-ready'] === true,
    probe:
      str('probe') === undefined
        ? undefined
        : flag(() => {
            if (!str('probe')!.startsWith('/'))
              throw new Error(
                `Expected \`--probe\` to be a path starting with '/', got ${JSON.stringify(str('probe'))}`,
              );
            return str('probe');
          }),
    sticky:
      str('sticky') === undefined
        ? undefined
        : flag(() => {
            parseSticky('--sticky', str('sticky'));
            return str('sticky') as SuperviseOptions['sticky'];
          }),
    heartbeat: duration('heartbeat'),
    maxMemory: str('max-memory') === undefined ? undefined : flag(() => parseBytes('--max-memory', str('max-memory'))),
    restart:
      maxCrashes === undefined
        ? undefined
        : {
            maxCrashes: flag(() => {
              const n = Number(maxCrashes);
              if (!Number.isInteger(n) || n < 1)
                throw new Error(
                  `Expected \`--max-crashes\` to be a positive integer, got ${JSON.stringify(maxCrashes)}`,
                );
              return n;
            }),
          },
    logPrefix: v['log-prefix'] === true,
  };
}

async function run(argv: string[]): Promise<number> {
  const opts = options(argv);
  if (!opts) {
    process.stdout.write(HELP);
    return 0;
  }
  const log = (line: string) => process.stderr.write(`[spindle] ${line}\n`);
  let sup: Supervisor | undefined;
  let stopSignal: NodeJS.Signals | undefined;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finish = resolve));
  const stop = (sig: NodeJS.Signals) => {
    if (!sup) {
      stopSignal ??= sig; // still starting: stop as soon as the workers are up
      return;
    }
    if (sup.state === 'stopping' || sup.state === 'stopped') {
      log(`${sig} again: still draining, be patient (SIGKILL the supervisor to abort)`);
      return;
    }
    log(`${sig} received: stopping`);
    void sup.stop().then((r) => finish(r.clean ? 0 : 1));
  };
  // Installed once and never removed: libuv delivers signals through the event
  // loop, and one that arrives while its listener is being swapped is lost.
  process.on('SIGTERM', stop).on('SIGINT', stop);
  process.on('SIGHUP', () => {
    if (sup?.state !== 'running') return;
    log('SIGHUP received: reloading');
    // Failures are logged by the supervisor; the old workers keep serving.
    sup.reload().catch(() => {});
  });
  sup = await supervise(opts);
  sup.on('crashLoop', () => {
    if (sup!.workers.every((w) => w.state === 'failed')) {
      log('every worker is crash-looping; giving up');
      void sup!.stop().then(() => finish(1));
    }
  });
  if (stopSignal) stop(stopSignal);
  return done;
}

export const start: Command = { summary: 'run a server on every core (reload on SIGHUP, drain on SIGTERM)', run };
