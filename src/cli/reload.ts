// `spindle reload NAME`: a rolling reload through the control socket; waits for the outcome.
import { defineCommand } from './command.js';
import { connect, JSON_FLAG, nameArg, printJson, reporting } from './control.js';

const spec = {
  name: 'reload',
  summary: 'rolling reload (a supervisor or a work node); waits for the outcome',
  usage: 'spindle reload NAME [--json]',
  description: `Replaces the workers of the supervisor named NAME one at a time: each new
worker runs the code as it is on disk now and must be ready before the old one
drains, so no request is lost. Waits for the outcome: exit code 0 when every
worker was replaced; 1 when a new worker did not become ready (the reason is
printed; the old workers keep serving) or the reload was refused.
For a 'spindle work' node, its pool's workers are replaced: the new ones start
first, then the old ones finish the jobs they run (none is lost or run twice).
Stopping this command does not stop a reload that has begun.`,
  flags: { json: JSON_FLAG },
  examples: ['spindle reload api', 'spindle reload api --json'],
} as const satisfies Parameters<typeof defineCommand>[0];

export const command = defineCommand(spec, (args) => {
  const json = args.values.json === true;
  return reporting(json, async () => {
    const name = nameArg(args, 'reload');
    const client = await connect(name);
    try {
      const result = (await client.request('reload')) as { workers: { id: number; pid: number | null }[] };
      if (json) printJson(result);
      else {
        const n = `${result.workers.length} worker${result.workers.length === 1 ? '' : 's'}`;
        // a work node's thread workers have no pid of their own: their ids then
        const pids = result.workers.every((w) => w.pid === null)
          ? `ids ${result.workers.map((w) => w.id).join(', ')}`
          : `pids ${result.workers.map((w) => w.pid ?? '-').join(', ')}`;
        process.stdout.write(`${name}: reloaded ${n} (${pids})\n`);
      }
      return 0;
    } finally {
      client.close();
    }
  });
});
