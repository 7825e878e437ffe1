// The dashboard's routes on the admin listener (src/observe/admin.ts checks
// Host, the token and Origin before any of these runs, from each route's
// `auth`):
//   GET  /                the page (no data in it: served to anyone past the Host check)
//   GET  /events          the live stream (stream.ts): the token when one is set
//   POST /actions/reload  \
//   POST /actions/scale    > the control plane's own calls; always the token,
//   POST /actions/stop    /  same-origin, and a JSON body
// Action arguments are checked by the control socket's own request checker,
// so a page and `spindle scale` accept and refuse exactly the same values.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readRequest } from '../control/requests.js';
import type { ControlTarget } from '../control/types.js';
import { ControlBadRequestError, type ControlBadRequestReason } from '../errors/index.js';
import type { AdminContext, AdminRoute } from '../observe/admin.js';
import type { Feed } from './feed.js';
import { loadPage } from './page.js';
import { serveStream } from './stream.js';

/** The largest action body read (they are a few bytes). */
const MAX_BODY = 4096;

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  json(res, status, { ok: false, error: { code, message } });
}

/** Refuses a malformed action as the control socket refuses a malformed request. */
function bad(res: ServerResponse, status: number, reason: ControlBadRequestReason, message: string): void {
  const e = new ControlBadRequestError(reason, message);
  refuse(res, status, e.code, e.message);
}

/** Reads a small JSON object body; undefined (after answering) when it is not one. */
async function readBody(req: IncomingMessage, res: ServerResponse): Promise<Record<string, unknown> | undefined> {
  // Only JSON: a cross-site <form> cannot send it, and fetch() from another origin needs a preflight we never grant.
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    bad(res, 415, 'shape', 'Send a JSON body with Content-Type: application/json');
    return undefined;
  }
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) {
      bad(res, 413, 'too-large', `The body is larger than ${MAX_BODY} bytes`);
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  try {
    const value: unknown = text === '' ? {} : JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {}
  bad(res, 400, 'json', 'The body is not a JSON object');
  return undefined;
}

function statusOf(code: string | undefined): number {
  if (code === 'ERR_CONTROL_BAD_REQUEST' || code === 'ERR_INVALID_OPTION') return 422;
  if (code === 'ERR_CLUSTER_CLOSED') return 409;
  return 500;
}

type Action = 'reload' | 'scale' | 'stop';

/** Runs one action through the control plane and answers with its outcome. */
async function act(action: Action, req: IncomingMessage, res: ServerResponse, ctx: AdminContext): Promise<void> {
  const control: ControlTarget | undefined = ctx.target.control;
  if (!control) {
    bad(res, 501, 'command', `This server cannot ${action} from the dashboard`);
    return;
  }
  const body = await readBody(req, res);
  if (!body) return;
  let request: ReturnType<typeof readRequest>;
  try {
    request = readRequest(JSON.stringify({ v: 1, id: null, cmd: action, args: body }));
  } catch (err) {
    const e = err as Error & { code?: string };
    refuse(res, statusOf(e.code), e.code ?? 'ERR_CONTROL_BAD_REQUEST', e.message);
    return;
  }
  try {
    if (request.cmd === 'stop') {
      // The reply cannot wait for the stop: the listener goes with the server. The stream ending tells the page.
      const { grace } = request.args as { grace?: number };
      control.stop(grace).catch(() => {});
      json(res, 202, { ok: true, result: { stopping: true } });
      return;
    }
    const result =
      request.cmd === 'reload'
        ? await control.reload()
        : await control.scale(
            (request.args as { workers?: number | 'auto' }).workers !== undefined
              ? { workers: (request.args as { workers: number | 'auto' }).workers }
              : { by: (request.args as { by: number }).by },
          );
    json(res, 200, { ok: true, result });
  } catch (err) {
    const e = err as Error & { code?: string };
    // Our own messages (which worker failed and why): they never hold the environment or argv.
    refuse(res, statusOf(e.code), e.code ?? 'unknown', e.message);
  }
}

/** The dashboard's routes for `serveAdmin({ routes })`, showing `feed`. */
export function dashboardRoutes(feed: Feed): AdminRoute[] {
  const action = (name: Action): AdminRoute => ({
    method: 'POST',
    path: `/actions/${name}`,
    auth: 'action',
    handle: (req, res, ctx) => act(name, req, res, ctx),
  });
  return [
    {
      method: 'GET',
      path: '/',
      auth: 'none',
      handle(req, res) {
        const page = loadPage();
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-length': page.html.length,
          'content-security-policy': page.csp,
        });
        res.end(req.method === 'HEAD' ? undefined : page.html);
      },
    },
    {
      method: 'GET',
      path: '/events',
      auth: 'read',
      handle(req, res, ctx) {
        const actions = ctx.tokenRequired && ctx.target.control !== undefined;
        serveStream(req, res, feed, {
          actions,
          readOnly: actions
            ? null
            : ctx.target.control === undefined
              ? 'This server has no actions to offer.'
              : 'Read-only: actions need an admin token (start spindle with SPINDLE_ADMIN_TOKEN or --admin-token-file).',
        });
      },
    },
    action('reload'),
    action('scale'),
    action('stop'),
  ];
}
