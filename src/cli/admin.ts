// `--admin [HOST:]PORT` and `--admin-token-file PATH`, shared by `spindle
// start` and `spindle work`: parsed and checked before anything starts; the
// token is read from $SPINDLE_ADMIN_TOKEN or the file (never from a flag's
// value, which `ps` shows) and removed from the environment the workers get.
import { ADMIN_TOKEN_ENV, isLoopback, parseAdminAddress, readAdminToken } from '../observe/admin.js';
import { invalid } from '../util/validate.js';
import type { FlagSpec, Parsed } from './command.js';
import { text } from './command.js';

export const adminFlags = {
  admin: {
    type: 'string',
    value: '[HOST:]PORT',
    help: 'serve /metrics and /status over HTTP (HOST default 127.0.0.1; anything else needs a token)',
  },
  'admin-token-file': {
    type: 'string',
    value: 'PATH',
    help: `a file holding the admin token (or set $${ADMIN_TOKEN_ENV}); requests must carry it`,
  },
} as const satisfies Record<string, FlagSpec>;

/** What `--admin` asked for. */
export interface AdminRequest {
  host: string;
  port: number;
  token: string | undefined;
}

/** Reads the admin flags (and the token); undefined without `--admin`. Throws ERR_INVALID_OPTION. */
export function adminFlag(args: Parsed, env: NodeJS.ProcessEnv): AdminRequest | undefined {
  const address = text(args, 'admin');
  const file = text(args, 'admin-token-file');
  if (address === undefined) {
    if (file !== undefined) throw invalid('--admin-token-file', 'given together with --admin', file);
    return undefined;
  }
  const { host, port } = parseAdminAddress('--admin', address);
  const token = readAdminToken(file, env);
  if (!isLoopback(host) && token === undefined)
    throw invalid(
      '--admin',
      `a loopback address (127.0.0.1, ::1, localhost) unless a token is set ($${ADMIN_TOKEN_ENV} or --admin-token-file)`,
      address,
    );
  return { host, port, token };
}

/** The token is the supervisor's alone: the workers it starts do not inherit it. */
export function forgetAdminToken(env: NodeJS.ProcessEnv = process.env): void {
  delete env[ADMIN_TOKEN_ENV];
}
