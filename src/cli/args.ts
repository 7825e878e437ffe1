// parseArgs with errors a person can act on: an unknown flag lists the valid
// ones, a missing value says which flag wanted it.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CliUsageError } from '../errors/index.js';
import { redactUrls } from '../util/redact.js';

export type Flags = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Everything after `--`, untouched. */
  rest: string[];
}

function flagList(flags: Flags): string {
  return Object.entries(flags)
    .map(([name, f]) => `--${name}${f.short ? ` (-${f.short})` : ''}`)
    .join(', ');
}

/** Parses `argv` against `flags`; throws CliUsageError naming the valid flags when it cannot. */
export function parse(command: string, argv: string[], flags: Flags): Parsed {
  const cut = argv.indexOf('--');
  const own = cut < 0 ? argv : argv.slice(0, cut);
  const rest = cut < 0 ? [] : argv.slice(cut + 1);
  try {
    const { values, positionals } = parseArgs({ args: own, options: flags, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals, rest };
  } catch (err) {
    const e = err as Error & { code?: string };
    // An argument may be a URL with a password in it (`--redis=…` misspelt).
    const message = redactUrls(String(e.message));
    const flag = /'(-[^']*)'/.exec(message)?.[1] ?? '';
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      throw new CliUsageError(`Unknown option '${flag}' for 'spindle ${command}'. Valid options: ${flagList(flags)}`);
    }
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new CliUsageError(`${message.split('\n')[0]} (see 'spindle ${command} --help')`);
    }
    throw new CliUsageError(message);
  }
}
