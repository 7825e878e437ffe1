// The admin listener of `spindle start/work --admin [HOST:]PORT`: a small HTTP
// server that serves GET /metrics (Prometheus text) and GET /status (the JSON
// of `spindle status --json`, from the same ControlTarget.status() the control
// socket answers with), plus routes others add (the dashboard).
//
// Security (docs/security.md, "The admin listener"):
// - loopback unless a token is set; a token comes from SPINDLE_ADMIN_TOKEN or
//   a file, never from a bare command-line value (which `ps` shows);
// - `Host` is checked on every request (DNS rebinding): a loopback name, the
//   bound address, an address of this machine, or a name in `allowedHosts`,
//   with the listener's port;
// - with a token, every route but those declared `auth: 'none'` needs
//   `Authorization: Bearer <token>` (compared in constant time); routes
//   declared `auth: 'action'` need it always (no token configured: refused)
//   and, when the request has an `Origin`, it must be this listener's own;
// - nothing served reads the environment or the command line.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import type { ControlStatusCommon, ControlTarget } from '../control/types.js';
import { AdminListenError } from '../errors/index.js';
import { describe, invalid, invalidSecret } from '../util/validate.js';

/** The environment variable that holds the admin token (`--admin-token-file` reads one from a file instead). */
export const ADMIN_TOKEN_ENV = 'SPINDLE_ADMIN_TOKEN';
/** A shorter token is refused: it could be guessed. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * What a route needs:
 * - 'none': served to anyone who passes the Host check (a page shell holding no data);
 * - 'read': the token, when one is set (data: metrics, status, streams);
 * - 'action': always the token (refused when none is set), and a same-origin
 *   `Origin` when the request has one (reload, scale, stop).
 */
export type RouteAuth = 'none' | 'read' | 'action';

/** What the admin listener serves: one supervisor (`spindle start`) or one worker node (`spindle work`). */
export interface AdminTarget {
  readonly kind: 'start' | 'work';
  /** The status snapshot: the control socket's `status` (same function, same JSON). */
  status(): ControlStatusCommon;
  /** The Prometheus text exposition (format 0.0.4) of every metric. */
  metrics(): Promise<string>;
  /** Reload, scale, stop and logs, for action routes (the same object the control socket serves), when there is one. */
  readonly control?: ControlTarget;
}

/** What a route's handler is given besides the request and response. */
export interface AdminContext {
  /** The request carried the right bearer token (always false when no token is set). */
  readonly authenticated: boolean;
  /** A token is set: data routes need it. */
  readonly tokenRequired: boolean;
  /** The supervisor or worker node served. */
  readonly target: AdminTarget;
  /** `target.status()`. */
  status(): ControlStatusCommon;
  /** The request's path and query (the path decoded by `URL`). */
  readonly url: URL;
}

/** A route: tried in order before the built-in ones; the first whose method and path match handles the request. */
export interface AdminRoute {
  /** 'GET' routes also answer HEAD. */
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** An exact path ('/events'), or a pattern tested on the path. */
  readonly path: string | RegExp;
  readonly auth: RouteAuth;
  /** Writes the response (the server ends it with 500 if this throws before writing). */
  handle(req: http.IncomingMessage, res: http.ServerResponse, ctx: AdminContext): void | Promise<void>;
}

export interface AdminOptions {
  /** The address to bind: default '127.0.0.1'. Anything but loopback needs `token`. */
  host?: string;
  /** The port (0: any free one, see `address`). */
  port: number;
  /** The bearer token every data and action request must carry (at least 16 characters). */
  token?: string;
  /** Host names (without port) accepted in `Host` besides loopback names and this machine's addresses. */
  allowedHosts?: readonly string[];
  /** Routes added before the built-in /metrics and /status (the dashboard's). */
  routes?: readonly AdminRoute[];
}

/** A listening admin server. */
export interface AdminServer {
  /** The bound address (the real port when 0 was asked for). */
  readonly address: { host: string; port: number };
  /** `http://HOST:PORT` */
  readonly url: string;
  /** Stops listening and ends open connections (streams included). Idempotent. */
  close(): Promise<void>;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** True for an address only this machine reaches: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/**
 * Parses `--admin [HOST:]PORT`: '9100', '127.0.0.1:9100', '[::1]:9100',
 * '0.0.0.0:9100'. Throws ERR_INVALID_OPTION naming `option`.
 */
export function parseAdminAddress(option: string, value: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535)
    throw invalid(option, '[HOST:]PORT with a port from 0 to 65535 (e.g. 9100 or 127.0.0.1:9100)', value);
  const host = m[1] === undefined ? '127.0.0.1' : m[1].replace(/^\[|\]$/g, '');
  if (host === '' || (isIP(host) === 0 && !/^[a-zA-Z0-9.-]+$/.test(host)))
    throw invalid(option, 'a HOST that is an IP address or a host name', value);
  return { host, port };
}

/**
 * The admin token from the environment or `--admin-token-file` (the file
 * wins; its trailing newline is dropped). Undefined when neither is set.
 * Throws ERR_INVALID_OPTION (never showing the value) for a short one.
 */
export function readAdminToken(file: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let token: string | undefined;
  let option: string;
  if (file !== undefined) {
    option = '--admin-token-file';
    try {
      token = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw invalid(option, 'a readable file holding the token', `${file} (${(err as NodeJS.ErrnoException).code})`);
    }
  } else {
    option = `$${ADMIN_TOKEN_ENV}`;
    token = env[ADMIN_TOKEN_ENV];
    if (token === undefined || token === '') return undefined;
  }
  checkToken(option, token);
  return token;
}

function checkToken(option: string, token: unknown): asserts token is string {
  if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH || /\s/.test(token))
    throw invalidSecret(option, `a token of at least ${MIN_TOKEN_LENGTH} characters without spaces`, token);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Every address of this machine, lower case, bare (for the Host check of a wildcard bind). */
function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) out.add(a.address.toLowerCase());
  }
  out.add(hostname().toLowerCase());
  return out;
}

/** Splits a Host header into its name (brackets removed, lower case) and port. */
function splitHost(header: string): { name: string; port: number | undefined } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(header.trim());
  if (!m) return undefined;
  return { name: m[1]!.replace(/^\[|\]$/g, '').toLowerCase(), port: m[2] === undefined ? undefined : Number(m[2]) };
}

function send(res: http.ServerResponse, status: number, body: string, headers: http.OutgoingHttpHeaders = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

const SECURITY_HEADERS: http.OutgoingHttpHeaders = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * Starts the admin listener for `target`. Rejects with ERR_INVALID_OPTION
 * (a non-loopback host without a token, a short token, a bad port) or
 * ERR_ADMIN_LISTEN (the address cannot be bound).
 */
export async function serveAdmin(target: AdminTarget, options: AdminOptions): Promise<AdminServer> {
  const host = options.host ?? '127.0.0.1';
  const { port, token } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalid('admin.port', 'a port from 0 to 65535', port);
  if (token !== undefined) checkToken('admin.token', token);
  if (!isLoopback(host) && token === undefined)
    throw invalid(
      'admin.host',
      `a loopback address when no token is set (set $${ADMIN_TOKEN_ENV} or --admin-token-file to listen on ${host})`,
      host,
    );
  for (const h of options.allowedHosts ?? [])
    if (typeof h !== 'string' || h === '') throw invalid('admin.allowedHosts', 'host names', describe(h));
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`);
  const routes = [...(options.routes ?? []), ...builtinRoutes()];
  const wildcard = host === '0.0.0.0' || host === '::';
  const allowed = new Set<string>([...LOOPBACK_NAMES, ...(options.allowedHosts ?? []).map((h) => h.toLowerCase())]);
  if (!wildcard) allowed.add(host.toLowerCase());
  let bound = port;

  const hostAllowed = (header: string | undefined): boolean => {
    if (header === undefined) return false;
    const h = splitHost(header);
    if (!h || (h.port ?? 80) !== bound) return false;
    if (allowed.has(h.name) || isLoopback(h.name)) return true;
    // A wildcard bind answers on every address of the machine (read now: interfaces change).
    return wildcard && localAddresses().has(h.name);
  };

  const authenticated = (req: http.IncomingMessage): boolean => {
    if (!expected) return false;
    const given = req.headers.authorization;
    if (typeof given !== 'string') return false;
    // Digests have one length whatever was sent, so the compare takes the same time.
    return timingSafeEqual(digest(given), expected);
  };

  const sameOrigin = (req: http.IncomingMessage): boolean => {
    const origin = req.headers.origin;
    if (origin === undefined) return true; // not a browser (curl, a script): the token is the guard
    return origin === `http://${req.headers.host}`;
  };

  const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v!);
    if (!hostAllowed(req.headers.host)) {
      send(res, 403, 'Forbidden: this Host is not served here (see docs/security.md, the admin listener)\n');
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://admin.invalid');
    } catch {
      send(res, 400, 'Bad request\n');
      return;
    }
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const matching = routes.filter((r) =>
      typeof r.path === 'string' ? r.path === url.pathname : r.path.test(url.pathname),
    );
    if (matching.length === 0) {
      send(res, 404, 'Not found\n');
      return;
    }
    const route = matching.find((r) => r.method === method);
    if (!route) {
      const allow = [...new Set(matching.map((r) => r.method))].join(', ');
      send(res, 405, 'Method not allowed\n', { allow });
      return;
    }
    const authed = authenticated(req);
    if (route.auth === 'action') {
      if (!expected) {
        send(res, 403, `Forbidden: actions need a token ($${ADMIN_TOKEN_ENV} or --admin-token-file)\n`);
        return;
      }
      if (!authed) {
        send(res, 401, 'Unauthorized: send the admin token as a bearer token\n', { 'www-authenticate': 'Bearer' });
        return;
      }
      if (!sameOrigin(req)) {
        send(res, 403, 'Forbidden: the request comes from another origin\n');
        return;
      }
    } else if (route.auth === 'read' && expected && !authed) {
      send(res, 401, 'Unauthorized: send the admin token as a bearer token\n', { 'www-authenticate': 'Bearer' });
      return;
    }
    const ctx: AdminContext = {
      authenticated: authed,
      tokenRequired: expected !== undefined,
      target,
      status: () => target.status(),
      url,
    };
    Promise.resolve()
      .then(() => route.handle(req, res, ctx))
      .catch((err: unknown) => {
        // The message only: a stack or an error's fields could carry what the listener must not expose.
        send(res, 500, `Internal error: ${err instanceof Error ? err.message : 'unknown'}\n`);
      });
  });
  server.maxHeadersCount = 64;
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new AdminListenError(`${host}:${port}`, err)));
    server.listen({ host, port, exclusive: true }, () => resolve());
  });
  server.on('error', () => {}); // accept errors (EMFILE): that client is lost, the listener goes on
  server.unref(); // the supervisor's workers (or the node's pool) keep the process alive, not this
  const address = server.address();
  bound = typeof address === 'object' && address ? address.port : port;
  let closed: Promise<void> | undefined;
  const shown = isIP(host) === 6 ? `[${host}]` : host;
  return {
    address: { host, port: bound },
    url: `http://${shown}:${bound}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** The built-in routes: /metrics and /status (data: the token when one is set). */
function builtinRoutes(): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/metrics',
      auth: 'read',
      async handle(_req, res, ctx) {
        const body = await ctx.target.metrics();
        send(res, 200, body, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      },
    },
    {
      method: 'GET',
      path: '/status',
      auth: 'read',
      handle(_req, res, ctx) {
        send(res, 200, `${JSON.stringify(ctx.status())}\n`, { 'content-type': 'application/json; charset=utf-8' });
      },
    },
  ];
}
