// `spindle stop NAME`: a graceful stop through the control socket; exits with the supervisor's exit status.
import { defineCommand, durationFlag } from './command.js';
import { connect, JSON_FLAG, nameArg, printJson, reporting } from './control.js';

const spec = {
  name: 'stop',
  summary: 'graceful stop of a supervisor or work node; exits with its status',
  usage: 'spindle stop NAME [--grace DURATION] [--json]',
  description: `Stops the supervisor named NAME gracefully, whatever started it (a terminal,
npx, an npm script, systemd): its workers stop taking connections, finish what
they are doing within the grace period, and exit; then the supervisor exits.
Waits until it has stopped and exits with the supervisor's own exit status:
0 when every worker drained in time, 1 when one had to be killed (or when no
supervisor of that name is running). A 'spindle work' node stops taking jobs;
running ones get the grace to finish, the rest go back to the queue (exit 0).`,
  flags: {
    grace: {
      type: 'string',
      value: 'DURATION',
      help: "time to drain before SIGTERM (default: the supervisor's --grace)",
    },
    json: JSON_FLAG,
  },
  notes: 'Durations: 500ms, 10s, 2m, 1h (the unit is required).',
  examples: ['spindle stop api', 'spindle stop api --grace 1m'],
} as const satisfies Parameters<typeof defineCommand>[0];

export const command = defineCommand(spec, (args) => {
  const json = args.values.json === true;
  return reporting(json, async () => {
    const name = nameArg(args, 'stop');
    const grace = durationFlag(args, 'grace');
    const client = await connect(name);
    try {
      const result = (await client.request('stop', grace === undefined ? {} : { grace })) as {
        exitCode: number;
        clean: boolean;
        forced?: number[];
      };
      if (json) printJson(result);
      else if (result.clean) process.stdout.write(`${name}: stopped cleanly\n`);
      else
        process.stdout.write(
          `${name}: stopped; worker(s) ${(result.forced ?? []).join(', ')} did not drain in time and were killed\n`,
        );
      return result.exitCode;
    } finally {
      client.close();
    }
  });
});
