// Redis connection settings for BullMQ from a redis:// URL. Reconnects with
// capped exponential backoff forever: a node outlives a Redis restart and
// never crash-loops while Redis is away.
import { redactUrl } from '../../util/redact.js';

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

const MAX_RECONNECT_MS = 5000;

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
