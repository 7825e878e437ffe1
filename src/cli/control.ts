// What the control commands (ls, status, reload, scale, stop, logs) share:
// the NAME argument, finding the supervisor, --json output (also for a
// failure: {"error":{"code","message"}} on stdout, the message on stderr).
import { type ControlClient, connectByName } from '../control/client.js';
import { checkName } from '../control/dirs.js';
import { CliUsageError, SpindleError } from '../errors/index.js';
import { exitCodeOf, type FlagSpec, type Parsed, printError, redactText } from './command.js';

export const JSON_FLAG: FlagSpec = { type: 'boolean', help: 'print JSON (stable shape, see docs/control.md)' };

/** The NAME positional (checked like --name), and no other positional. */
export function nameArg(args: Parsed, command: string, extra = 0): string {
  const v = args.positionals[0];
  if (v === undefined || v === '')
    throw new CliUsageError(`Missing NAME: which supervisor? (e.g. 'spindle ${command} api'; 'spindle ls' lists them)`);
  if (args.positionals.length > 1 + extra)
    throw new CliUsageError(
      `Unexpected argument '${redactText(args.positionals[1 + extra]!)}' (see 'spindle ${command} --help')`,
    );
  return checkName('NAME', v);
}

/** Connects to the supervisor named `name` (ERR_CONTROL_NOT_RUNNING when none answers). */
export function connect(name: string): Promise<ControlClient> {
  return connectByName(name);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Runs a command body; with --json a failure is also printed as JSON on
 * stdout, so scripts get the code. Resolves the exit code.
 */
export async function reporting(json: boolean, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (!json) throw err;
    printError(err);
    const code = err instanceof SpindleError ? err.code : null;
    const message = redactText(err instanceof Error ? err.message : String(err));
    printJson({ error: { code, message } });
    return exitCodeOf(err);
  }
}
