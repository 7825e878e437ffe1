// Errors of the `spindle` command line: ERR_CLI_*.
import { named, SpindleError } from './base.js';

/** The `spindle` command line was wrong: unknown command or flag, bad value. Exit code 2. */
export class CliUsageError extends SpindleError<'ERR_CLI_USAGE'> {
  declare readonly name: 'CliUsageError';
  constructor(message: string) {
    super('ERR_CLI_USAGE', message);
  }
  static {
    named(CliUsageError, 'CliUsageError');
  }
}

/** Every error class of the CLI. */
export type CliError = CliUsageError;
