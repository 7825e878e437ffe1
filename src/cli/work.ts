// `spindle work tasks.js --queue NAME --redis URL`: joins this machine to a
// Redis job queue; its pool runs jobs until SIGTERM/SIGINT, which finishes or
// hands back the running jobs and exits 0.

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliUsageError } from '../errors/index.js';
import { work } from '../queue/work.js';
import { parseDurationFlag } from '../util/duration.js';
import { redactUrl } from '../util/redact.js';
import { type Flags, flag, parse } from './args.js';
import type { Command } from './index.js';

const flags: Flags = {
  queue: { type: 'string', short: 'q' },
  redis: { type: 'string', short: 'r' },
  workers: { type: 'string', short: 'w' },
  runtime: { type: 'string' },
  grace: { type: 'string' },
  'lock-duration': { type: 'string' },
  'stalled-interval': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

const HELP = `Usage: spindle work <tasks> --queue NAME --redis URL [options]

Runs the jobs of Redis queue NAME on a pool of this machine: each exported
function of <tasks> is a task that jobs name. Any number of machines may run
it on one queue. Needs the package 'bullmq' (npm install bullmq).
  SIGTERM, SIGINT  stop taking jobs; running ones get --grace to finish, the
                   rest go back to the queue for another node; exit code 0

Options:
  -q, --queue NAME                 the queue (required)
  -r, --redis URL                  the Redis server, e.g. redis://10.0.0.5:6379 (required)
  -w, --workers N|auto             pool size (default: auto = CPUs this container may use)
      --runtime thread|process     run tasks in worker threads (default) or processes
      --grace DURATION             time running jobs get on stop (default: 10s)
      --lock-duration DURATION     a job's lock; a dead node's jobs return after about this
                                   plus two --stalled-interval (default: 5s)
      --stalled-interval DURATION  how often nodes look for jobs of dead nodes (default: 2.5s)
  -h, --help                       show this help

Examples:
  spindle work dist/tasks.js --queue images --redis redis://127.0.0.1:6379
  spindle work tasks.js -q reports -r redis://redis.internal:6379 --workers 4 --grace 1m
`;

async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse('work', argv, flags);
  if (v.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const [tasks] = positionals;
  if (!tasks)
    throw new CliUsageError(
      "Missing <tasks>: which module's functions run the jobs? (e.g. 'spindle work tasks.js --queue q --redis redis://127.0.0.1:6379')",
    );
  if (positionals.length > 1)
    throw new CliUsageError(`Unexpected argument '${positionals[1]}' (see 'spindle work --help')`);
  const str = (name: string) => v[name] as string | undefined;
  const queue = str('queue');
  if (!queue) throw new CliUsageError("Missing --queue NAME (see 'spindle work --help')");
  const redis = str('redis');
  if (!redis)
    throw new CliUsageError("Missing --redis URL, e.g. --redis redis://127.0.0.1:6379 (see 'spindle work --help')");
  if (!/^rediss?:\/\//.test(redis))
    throw new CliUsageError(`Expected \`--redis\` to be a redis:// or rediss:// URL, got ${JSON.stringify(redis)}`);
  const duration = (name: string) =>
    str(name) === undefined ? undefined : flag(() => parseDurationFlag(`--${name}`, str(name)!));
  const workersText = str('workers');
  const workers = workersText === undefined || workersText === 'auto' ? 'auto' : Number(workersText);
  if (workers !== 'auto' && (!Number.isInteger(workers) || workers < 1))
    throw new CliUsageError(
      `Expected \`--workers\` to be a positive integer or 'auto', got ${JSON.stringify(workersText)}`,
    );
  const runtime = str('runtime') ?? 'thread';
  if (runtime !== 'thread' && runtime !== 'process')
    throw new CliUsageError(`Expected \`--runtime\` to be one of 'thread', 'process', got ${JSON.stringify(runtime)}`);
  const log = (line: string) => process.stderr.write(`[spindle] ${line}\n`);
  let stopSignal: NodeJS.Signals | undefined;
  let stopNow: (sig: NodeJS.Signals) => void = (sig) => {
    stopSignal ??= sig;
  };
  // installed before work() so a signal during start-up is not lost
  process.on('SIGTERM', (s) => stopNow(s)).on('SIGINT', (s) => stopNow(s));
  const node = await work({
    tasks: pathToFileURL(resolve(tasks)),
    queue,
    redis,
    workers,
    runtime,
    grace: duration('grace'),
    lockDuration: duration('lock-duration'),
    stalledInterval: duration('stalled-interval'),
  });
  node.queue.on('error', (err) => log(`${(err as { code?: string }).code ?? 'error'}: ${err.message}`));
  log(
    `working on queue '${queue}' at ${redactUrl(redis)} with ${node.pool.options.maxWorkers} ${runtime} worker(s) (pid ${process.pid})`,
  );
  return new Promise<number>((done) => {
    let stopping = false;
    stopNow = (sig) => {
      if (stopping) {
        log(
          `${sig} again: still finishing running jobs, be patient (SIGKILL to abort; their jobs then return after the lock expires)`,
        );
        return;
      }
      stopping = true;
      log(`${sig} received: finishing running jobs, handing back the rest`);
      node.close().then(
        () => done(0),
        (err: Error) => {
          log(`stop failed: ${err.message}`);
          done(1);
        },
      );
    };
    if (stopSignal) stopNow(stopSignal);
  });
}

export const workCommand: Command = { summary: 'run the jobs of a Redis queue on this machine (spindle/queue)', run };
