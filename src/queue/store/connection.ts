// Redis connection settings for BullMQ from a redis:// URL. Reconnects with
// capped exponential backoff forever: a node outlives a Redis restart and
// never crash-loops while Redis is away.
import { redactUrl } from '../../util/redact.js';
import { invalid, invalidSecret } from '../../util/validate.js';

/** ioredis options (the shape BullMQ passes on). */
export interface RedisConnectionOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: object;
  maxRetriesPerRequest: null;
  enableReadyCheck: boolean;
  retryStrategy: (times: number) => number;
}

/** The longest wait between two connection attempts. */
export const MAX_RECONNECT_MS = 5000;

const EXPECTED =
  "a Redis URL such as 'redis://[user:password@]host[:port][/db]' (rediss:// for TLS; percent-encode " +
  "'@', '/', '#' and '?' in the password)";

/**
 * Checks a Redis URL once, up front, so that a bad one is refused naming
 * `option` rather than failing later inside the client. The value is shown
 * only with its credentials masked (it may hold a password).
 */
export function checkRedisUrl(option: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidSecret(option, EXPECTED, value);
  let u: URL | undefined;
  try {
    u = new URL(value);
  } catch {
    // the parser's own error carries the input, password included: not passed on
  }
  const ok =
    u !== undefined &&
    (u.protocol === 'redis:' || u.protocol === 'rediss:') &&
    u.search === '' &&
    u.hash === '' &&
    /^\/?(\d{1,5})?$/.test(u.pathname);
  if (!ok) throw invalid(option, EXPECTED, redactUrl(value));
  return value;
}

export function connectionOptions(url: string): RedisConnectionOptions {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db !== undefined && Number.isInteger(db) ? { db } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ workers need commands to wait for a reconnect instead of failing
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), MAX_RECONNECT_MS),
  };
}

/** The URL without its credentials, for messages. */
export function safeUrl(url: string): string {
  return redactUrl(url);
}
