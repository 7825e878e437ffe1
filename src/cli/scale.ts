// `spindle scale NAME N`: change the number of workers of a running supervisor.
import type { ScaleResult } from '../cluster/types.js';
import type { ScaleRequest } from '../control/types.js';
import { CliUsageError } from '../errors/index.js';
import { MAX_WORKERS } from '../util/validate.js';
import { type Command, defineCommand } from './command.js';
import { connect, JSON_FLAG, nameArg, printJson, reporting } from './control.js';

const spec = {
  name: 'scale',
  summary: 'set the number of workers of a supervisor or work node, no restart',
  usage: 'spindle scale NAME N|auto|+N|-N [--json]',
  description: `Sets the number of workers of the supervisor named NAME: N, 'auto' (the CPUs
it may use), or more (+N) or fewer (-N) than now. New workers take traffic
once they are ready; removed ones (the highest ids) stop taking connections
and drain, so no request is lost. Waits for the outcome: exit code 0, or 1
when a new worker did not become ready (they are all stopped again and the
running ones keep serving). For a 'spindle work' node: its pool's size (the
jobs it takes at once follow); removed workers finish the jobs they run.`,
  flags: { json: JSON_FLAG },
  examples: ['spindle scale api 8', 'spindle scale api +2', 'spindle scale api -1', 'spindle scale api auto'],
} as const satisfies Parameters<typeof defineCommand>[0];

/** 'N', 'auto', '+N', '-N' → the request. */
export function scaleArg(text: string | undefined): ScaleRequest {
  if (text === undefined || text === '')
    throw new CliUsageError("Missing N: how many workers? (e.g. 'spindle scale api 4', '+2', '-1' or 'auto')");
  if (text === 'auto') return { workers: 'auto' };
  const m = /^([+-]?)(\d{1,4})$/.exec(text);
  const n = m ? Number(m[2]) : Number.NaN;
  if (!m || n < 1 || n > MAX_WORKERS)
    throw new CliUsageError(
      `Expected N to be a number of workers from 1 to ${MAX_WORKERS}, 'auto', or +N / -N, got '${text}'`,
    );
  return m[1] === '' ? { workers: n } : { by: m[1] === '-' ? -n : n };
}

/** `-2` looks like a flag to parseArgs: it is taken out of argv first and put back as the N positional. */
let negative: string | undefined;

const parsed = defineCommand(spec, (args) => {
  const json = args.values.json === true;
  if (negative !== undefined) args.positionals.splice(1, 0, negative);
  return reporting(json, async () => {
    const name = nameArg(args, 'scale', 1);
    const request = scaleArg(args.positionals[1]);
    const client = await connect(name);
    try {
      const r = (await client.request('scale', request)) as ScaleResult;
      if (json) printJson(r);
      else {
        const what = r.started.length
          ? `; started ${r.started.join(', ')}`
          : r.stopped.length
            ? `; stopped ${r.stopped.join(', ')}`
            : '';
        process.stdout.write(`${name}: ${r.workers} worker${r.workers === 1 ? '' : 's'} (was ${r.previous}${what})\n`);
      }
      return 0;
    } finally {
      client.close();
    }
  });
});

export const command: Command = {
  spec: parsed.spec,
  run(argv) {
    const cut = argv.indexOf('--');
    const i = argv.findIndex((a, j) => /^-\d+$/.test(a) && (cut < 0 || j < cut));
    negative = i < 0 ? undefined : argv[i];
    return parsed.run(i < 0 ? argv : argv.filter((_, j) => j !== i));
  },
};
