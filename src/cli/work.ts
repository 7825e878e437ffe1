// `spindle work tasks.js --queue NAME --redis URL`: joins this machine to a
// Redis job queue; its pool runs jobs until SIGTERM/SIGINT/SIGHUP, which
// finishes or hands back the running jobs and exits 0.

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliUsageError } from '../errors/index.js';
import { type WorkOptions, work } from '../queue/work.js';
import { redactUrl } from '../util/redact.js';
import { invalidSecret } from '../util/validate.js';
import {
  choiceFlag,
  defineCommand,
  durationFlag,
  foreground,
  log,
  type Parsed,
  parseCommand,
  positional,
  redactText,
  text,
  workersFlag,
} from './command.js';

/** The environment variable that can hold the Redis URL instead of `--redis` (which `ps` shows). */
export const REDIS_ENV = 'SPINDLE_REDIS_URL';

const spec = {
  name: 'work',
  summary: 'run the jobs of a Redis queue on this machine (spindle/queue)',
  usage: 'spindle work <tasks> --queue NAME [--redis URL] [options]',
  description: `Runs the jobs of Redis queue NAME on a pool of this machine: each exported
function of <tasks> is a task that jobs name. Any number of machines may run
it on one queue. Needs the package 'bullmq' (npm install bullmq).
  SIGTERM, SIGINT, SIGHUP  stop taking jobs; running ones get --grace to
                           finish, the rest go back to the queue; exit code 0
It also stops so when the launcher that started it (npx, npm run, a shell)
exits, unless --allow-orphan is given.`,
  flags: {
    queue: { type: 'string', short: 'q', value: 'NAME', help: 'the queue (required)' },
    redis: {
      type: 'string',
      short: 'r',
      value: 'URL',
      help: `the Redis server, e.g. redis://10.0.0.5:6379 (default: $${REDIS_ENV})`,
    },
    workers: {
      type: 'string',
      short: 'w',
      value: 'N|auto',
      help: 'pool size (default: auto = CPUs this container may use)',
    },
    runtime: { type: 'string', value: 'thread|process', help: 'run tasks in worker threads (default) or processes' },
    grace: { type: 'string', value: 'DURATION', help: 'time running jobs get on stop (default: 10s)' },
    'lock-duration': {
      type: 'string',
      value: 'DURATION',
      help: "a job's lock; a dead node's jobs return after about this plus two --stalled-interval (default: 5s)",
    },
    'stalled-interval': {
      type: 'string',
      value: 'DURATION',
      help: 'how often nodes look for jobs of dead nodes (default: 2.5s)',
    },
    'allow-orphan': { type: 'boolean', help: 'keep running when the launcher exits (nohup … &, setsid)' },
  },
  notes: `Durations: 500ms, 10s, 2m, 1h (the unit is required).
A password in --redis shows in \`ps\`: put the URL in $${REDIS_ENV} instead.`,
  examples: [
    'spindle work dist/tasks.js --queue images --redis redis://127.0.0.1:6379',
    `export ${REDIS_ENV}=redis://:secret@redis.internal:6379`,
    'spindle work tasks.js -q reports --workers 4 --grace 1m',
  ],
} as const satisfies Parameters<typeof defineCommand>[0];

/** What `spindle work` was asked for: the work() options and the CLI's own switches. */
export interface WorkRequest {
  options: WorkOptions;
  allowOrphan: boolean;
}

/** `spindle work` argv (and environment) → options (no side effects); undefined for --help. */
export function workOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): WorkRequest | undefined {
  const args = parseCommand(spec, argv);
  return args && fromArgs(args, env);
}

function redisUrl(args: Parsed, env: NodeJS.ProcessEnv): string {
  const flag = text(args, 'redis');
  const url = flag ?? env[REDIS_ENV];
  const option = flag === undefined ? `$${REDIS_ENV}` : '--redis';
  if (url === undefined || url === '')
    throw new CliUsageError(
      `Missing --redis URL (or $${REDIS_ENV}), e.g. --redis redis://127.0.0.1:6379 (see 'spindle work --help')`,
    );
  if (!/^rediss?:\/\/[^\s]+$/.test(url)) {
    // The URL may carry a password: show it redacted, or (not a URL at all) only its type.
    const shown = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? JSON.stringify(redactUrl(url)) : undefined;
    const expected = 'a redis:// or rediss:// URL';
    if (shown === undefined) throw invalidSecret(option, expected, url);
    throw new CliUsageError(`Expected \`${option}\` to be ${expected}, got ${shown}`);
  }
  return url;
}

function fromArgs(args: Parsed, env: NodeJS.ProcessEnv): WorkRequest {
  const tasks = positional(
    args,
    0,
    "Missing <tasks>: which module's functions run the jobs? (e.g. 'spindle work tasks.js --queue q --redis redis://127.0.0.1:6379')",
  );
  if (args.positionals.length > 1)
    throw new CliUsageError(`Unexpected argument '${redactText(args.positionals[1]!)}' (see 'spindle work --help')`);
  const queue = text(args, 'queue');
  if (!queue) throw new CliUsageError("Missing --queue NAME (see 'spindle work --help')");
  const options: WorkOptions = {
    tasks: pathToFileURL(resolve(tasks)),
    queue,
    redis: redisUrl(args, env),
    workers: workersFlag(args) ?? 'auto',
    runtime: choiceFlag(args, 'runtime', ['thread', 'process'] as const) ?? 'thread',
    grace: durationFlag(args, 'grace'),
    lockDuration: durationFlag(args, 'lock-duration'),
    stalledInterval: durationFlag(args, 'stalled-interval'),
  };
  for (const key of Object.keys(options) as (keyof WorkOptions)[]) if (options[key] === undefined) delete options[key];
  return { options, allowOrphan: args.values['allow-orphan'] === true };
}

export const command = defineCommand(spec, (args) => {
  const { options, allowOrphan } = fromArgs(args, process.env);
  return foreground(
    async () => {
      const node = await work(options);
      node.queue.on('error', (err) => log(`${(err as { code?: string }).code ?? 'error'}: ${err.message}`));
      log(
        `working on queue '${options.queue}' at ${redactUrl(options.redis)} with ${node.pool.options.maxWorkers} ${options.runtime} worker(s) (pid ${process.pid})`,
      );
      return {
        patience:
          'still finishing running jobs, be patient (SIGKILL to abort; their jobs then return after the lock expires)',
        stop: () =>
          node.close().then(
            () => 0,
            (err: Error) => {
              log(`stop failed: ${err.message}`);
              return 1;
            },
          ),
      };
    },
    { allowOrphan, hangup: 'stop' },
  );
});
