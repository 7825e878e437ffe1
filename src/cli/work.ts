// `spindle work tasks.js --queue NAME --redis URL`: joins this machine to a
// Redis job queue; its pool runs jobs until SIGTERM/SIGINT/SIGHUP (or
// `spindle stop NAME`), which finishes or hands back the running jobs and
// exits 0. Under a NAME (default: the queue's) it listens on a control
// socket: `spindle status/reload/scale/logs/stop NAME` mean its pool.

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkName, nameOf } from '../control/dirs.js';
import { ControlServer } from '../control/server.js';
import { Feed } from '../dashboard/feed.js';
import { dashboardRoutes } from '../dashboard/routes.js';
import { workSource } from '../dashboard/sources.js';
import { CliUsageError } from '../errors/index.js';
import { serveAdmin } from '../observe/admin.js';
import { workMetrics } from '../observe/work.js';
import { type WorkOptions, work } from '../queue/work.js';
import { redactUrl } from '../util/redact.js';
import { invalidSecret } from '../util/validate.js';
import { type AdminRequest, adminFlag, adminFlags, forgetAdminToken } from './admin.js';
import {
  choiceFlag,
  configureLog,
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
import { captureOwnOutput, WorkTarget } from './work-control.js';

/** The environment variable that can hold the Redis URL instead of `--redis` (which `ps` shows). */
export const REDIS_ENV = 'SPINDLE_REDIS_URL';

const spec = {
  name: 'work',
  summary: 'run the jobs of a Redis queue on this machine (spindle/queue)',
  usage: 'spindle work <tasks> --queue NAME [--redis URL] [options]',
  description: `Runs the jobs of a Redis queue on a pool of this machine: each exported
function of <tasks> is a task that jobs name. Any number of machines may run
it on one queue. Needs the package 'bullmq' (npm install bullmq).
  SIGTERM, SIGINT, SIGHUP  stop taking jobs; running ones get --grace to
                           finish, the rest go back to the queue; exit code 0
It also stops so when the launcher that started it (npx, npm run, a shell)
exits, unless --allow-orphan is given. Under a name (--name, default: the
queue's), 'spindle status/reload/scale/logs/stop NAME' reach its pool; a
name that is running already is refused (exit code 2).`,
  flags: {
    queue: { type: 'string', short: 'q', value: 'QUEUE', help: 'the queue (required)' },
    name: {
      type: 'string',
      short: 'n',
      value: 'NAME',
      help: "the name for 'spindle status NAME' etc.: letters, digits, . _ - (default: the queue's name)",
    },
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
    setup: {
      type: 'string',
      value: 'PATH',
      help: 'a module each worker runs once before <tasks> (e.g. a tracer provider)',
    },
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
    'log-format': {
      type: 'string',
      value: 'text|json',
      help: 'json: one JSON object per line {time, worker, pid, stream, message|json} (default: text)',
    },
    'log-time': { type: 'boolean', help: 'text: put an ISO time in front of every line' },
    'allow-orphan': { type: 'boolean', help: 'keep running when the launcher exits (nohup … &, setsid)' },
    ...adminFlags,
  },
  notes: `Durations: 500ms, 10s, 2m, 1h (the unit is required).
A password in --redis shows in \`ps\`: put the URL in $${REDIS_ENV} instead.`,
  examples: [
    'spindle work dist/tasks.js --queue images --redis redis://127.0.0.1:6379',
    `export ${REDIS_ENV}=redis://:secret@redis.internal:6379`,
    'spindle work tasks.js -q reports --workers 4 --grace 1m',
    'spindle work tasks.js -q emails --name mail --log-format json',
    'spindle status mail; spindle scale mail 8; spindle reload mail',
    'spindle work tasks.js -q jobs --admin 9101   # http://127.0.0.1:9101/metrics',
  ],
} as const satisfies Parameters<typeof defineCommand>[0];

/** What `spindle work` was asked for: the work() options and the CLI's own switches. */
export interface WorkRequest {
  options: WorkOptions;
  allowOrphan: boolean;
  /** The control name (--name, default: the queue's name made valid). */
  name: string;
  logFormat: 'text' | 'json';
  logTime: boolean;
  /** --admin: the admin listener's address and token, or undefined. */
  admin: AdminRequest | undefined;
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
  if (!queue) throw new CliUsageError("Missing --queue QUEUE (see 'spindle work --help')");
  const name = text(args, 'name');
  const options: WorkOptions = {
    tasks: pathToFileURL(resolve(tasks)),
    queue,
    redis: redisUrl(args, env),
    workers: workersFlag(args) ?? 'auto',
    runtime: choiceFlag(args, 'runtime', ['thread', 'process'] as const) ?? 'thread',
    setup: text(args, 'setup') === undefined ? undefined : pathToFileURL(resolve(text(args, 'setup')!)),
    grace: durationFlag(args, 'grace'),
    lockDuration: durationFlag(args, 'lock-duration'),
    stalledInterval: durationFlag(args, 'stalled-interval'),
  };
  for (const key of Object.keys(options) as (keyof WorkOptions)[]) if (options[key] === undefined) delete options[key];
  return {
    options,
    allowOrphan: args.values['allow-orphan'] === true,
    name: name === undefined ? nameOf(queue, 'work') : checkName('--name', name),
    logFormat: choiceFlag(args, 'log-format', ['text', 'json'] as const) ?? 'text',
    logTime: args.values['log-time'] === true,
    admin: adminFlag(args, env),
  };
}

export const command = defineCommand(spec, async (args) => {
  const { options, allowOrphan, name, logFormat, logTime, admin } = fromArgs(args, process.env);
  if (admin) forgetAdminToken();
  // Everything this process writes passes through one output from here on:
  // kept for `spindle logs NAME`, formatted as --log-format/--log-time say.
  const own = captureOwnOutput({ format: logFormat, time: logTime, prefix: false });
  configureLog(logFormat, logTime, (formatted, line) => own.own(formatted, line));
  let node: Awaited<ReturnType<typeof work>> | undefined;
  let server: ControlServer | undefined;
  let adminServer: Awaited<ReturnType<typeof serveAdmin>> | undefined;
  let feed: Feed | undefined;
  let closing: Promise<{ clean: boolean }> | undefined;
  let onEnd: (code: number) => void = () => {};
  const ended = new Promise<number>((resolve) => (onEnd = resolve));
  // One way to stop, whoever asks (a signal, the launcher, `spindle stop`).
  const close = (grace: number | undefined) => {
    closing ??= node!.close(grace === undefined ? undefined : { grace }).finally(() => {
      // Not awaited: the `stop` reply is still to be written on its connection.
      void server?.close();
      feed?.close(); // the dashboard's pages get the final state, then their streams end
      void adminServer?.close();
    });
    return closing;
  };
  const target = new WorkTarget(name, own.output, (grace) => {
    log(`stop requested through the control socket: stopping`);
    const c = close(grace);
    c.then(
      () => onEnd(0),
      () => onEnd(1),
    );
    return c;
  });
  try {
    return await foreground(
      async () => {
        // Claimed first: a name that is running is refused before Redis or a worker is touched.
        server = await ControlServer.open(name, target);
        try {
          node = await work(options);
        } catch (err) {
          await server.close();
          throw err;
        }
        target.node = node;
        if (admin) {
          // /status is the control socket's status (the same WorkTarget), /metrics the node's
          // The dashboard's history starts now, with the admin listener.
          feed = new Feed(workSource(node, () => target.status()));
          adminServer = await serveAdmin(
            { kind: 'work', status: () => target.status(), metrics: workMetrics, control: target },
            { host: admin.host, port: admin.port, token: admin.token, routes: dashboardRoutes(feed) },
          ).catch(async (err: Error) => {
            feed?.close();
            await node!.destroy();
            await server!.close();
            throw err;
          });
          log(
            `admin endpoint at ${adminServer.url} (dashboard, /metrics, /status)${admin.token ? ', token required' : ''}`,
          );
        }
        node.queue.on('error', (err) => log(`${(err as { code?: string }).code ?? 'error'}: ${err.message}`));
        log(
          `working on queue '${options.queue}' at ${redactUrl(options.redis)} with ${node.pool.options.maxWorkers} ${options.runtime} worker(s) (pid ${process.pid}, name '${name}': spindle status|logs|reload|scale|stop ${name})`,
        );
        return {
          patience:
            'still finishing running jobs, be patient (SIGKILL to abort; their jobs then return after the lock expires)',
          stop: () =>
            close(undefined).then(
              () => 0,
              (err: Error) => {
                log(`stop failed: ${err.message}`);
                return 1;
              },
            ),
          ended,
        };
      },
      { allowOrphan, hangup: 'stop' },
    );
  } finally {
    own.restore();
  }
});
