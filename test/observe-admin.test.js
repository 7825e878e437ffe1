// The admin listener: loopback unless a token is set, the token on every data
// request when set, Host checked on every request, action routes need the
// token and a same origin, and nothing served shows the environment or argv.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { serveAdmin } from '../dist/observe/index.js';
import { cli, root, tempDir } from './helpers/cli.js';
import { home, spindle } from './helpers/control.js';
import { freePort } from './helpers/load.js';
import { rejectsCode } from './helpers.js';

const TOKEN = 'test-token-0123456789abcdef';
const app = join(root, 'test', 'fixtures', 'observe', 'app.mjs');

/** One request; resolves { status, headers, body }. */
function get(port, path, { headers = {}, method = 'GET', host } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method, headers: { host: host ?? `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to ${path} within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

const target = {
  kind: 'start',
  status: () => ({
    name: 'x',
    kind: 'start',
    pid: 1,
    state: 'running',
    startedAt: 0,
    uptime: 0,
    ready: 0,
    wanted: 0,
    restarts: 0,
  }),
  metrics: async () => '# HELP a_total A.\n# TYPE a_total counter\na_total 1\n',
};

test('a non-loopback bind needs a token; a short token is refused without showing it', async () => {
  await rejectsCode(serveAdmin(target, { host: '0.0.0.0', port: 0 }), 'ERR_INVALID_OPTION');
  const err = await serveAdmin(target, { port: 0, token: 'short-secret' }).catch((e) => e);
  assert.equal(err.code, 'ERR_INVALID_OPTION');
  assert.doesNotMatch(err.message, /short-secret/);
});

test('a port in use is ERR_ADMIN_LISTEN', async (t) => {
  const a = await serveAdmin(target, { port: 0 });
  t.after(() => a.close());
  await rejectsCode(serveAdmin(target, { port: a.address.port }), 'ERR_ADMIN_LISTEN');
});

test('with a token: data needs it (bearer, exact), the shell route does not, a foreign Host is refused', async (t) => {
  const routes = [
    { method: 'GET', path: '/', auth: 'none', handle: (_q, res) => res.end('shell') },
    { method: 'POST', path: '/action', auth: 'action', handle: (_q, res) => res.end('done') },
  ];
  const s = await serveAdmin(target, { port: 0, token: TOKEN, routes });
  t.after(() => s.close());
  const { port } = s.address;
  const auth = { authorization: `Bearer ${TOKEN}` };
  assert.equal((await get(port, '/metrics')).status, 401);
  assert.equal((await get(port, '/metrics', { headers: { authorization: `Bearer ${TOKEN}x` } })).status, 401);
  assert.equal((await get(port, '/metrics', { headers: { authorization: TOKEN } })).status, 401);
  assert.equal((await get(port, '/status')).status, 401);
  const ok = await get(port, '/metrics', { headers: auth });
  assert.equal(ok.status, 200);
  assert.match(ok.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  assert.match(ok.body, /^a_total 1$/m);
  assert.equal(JSON.parse((await get(port, '/status', { headers: auth })).body).name, 'x');
  assert.equal((await get(port, '/')).body, 'shell');
  // DNS rebinding: a name that resolves to 127.0.0.1 but is not ours, even with the token
  assert.equal((await get(port, '/metrics', { headers: auth, host: `evil.example:${port}` })).status, 403);
  assert.equal((await get(port, '/', { host: `evil.example:${port}` })).status, 403);
  assert.equal((await get(port, '/metrics', { headers: auth, host: `127.0.0.1:${port + 1}` })).status, 403);
  assert.equal((await get(port, '/metrics', { headers: auth, host: `localhost:${port}` })).status, 200);
  // actions: the token, and no foreign Origin
  assert.equal((await get(port, '/action', { method: 'POST' })).status, 401);
  const foreign = { ...auth, origin: 'http://evil.example' };
  assert.equal((await get(port, '/action', { method: 'POST', headers: foreign })).status, 403);
  const same = { ...auth, origin: `http://127.0.0.1:${port}` };
  assert.equal((await get(port, '/action', { method: 'POST', headers: same })).body, 'done');
  assert.equal((await get(port, '/metrics', { method: 'POST', headers: auth })).status, 405);
  assert.equal((await get(port, '/nothing', { headers: auth })).status, 404);
});

test('without a token: data is served on loopback, actions are refused even there', async (t) => {
  const routes = [{ method: 'POST', path: '/action', auth: 'action', handle: (_q, res) => res.end('done') }];
  const s = await serveAdmin(target, { port: 0, routes });
  t.after(() => s.close());
  const { port } = s.address;
  assert.equal((await get(port, '/metrics')).status, 200);
  assert.equal((await get(port, '/action', { method: 'POST' })).status, 403);
});

test('spindle start --admin: refused on a public address without a token, and with a short token file (exit 2)', async (t) => {
  const dir = tempDir('admin-');
  const wide = cli(t, ['start', app, '--workers', '1', '--admin', `0.0.0.0:${await freePort()}`], {
    env: { SPINDLE_ADMIN_TOKEN: '' },
  });
  assert.equal((await wide.exit()).code, 2);
  assert.match(wide.out.stderr, /ERR_INVALID_OPTION|--admin/);
  const file = join(dir, 'token');
  writeFileSync(file, 'tiny-secret\n', { mode: 0o600 });
  const short = cli(t, [
    'start',
    app,
    '--workers',
    '1',
    '--admin',
    String(await freePort()),
    '--admin-token-file',
    file,
  ]);
  assert.equal((await short.exit()).code, 2);
  assert.doesNotMatch(short.out.stderr, /tiny-secret/);
});

test('spindle start --admin serves /status as spindle status --json, never the environment or arguments', async (t) => {
  const port = await freePort();
  const dir = home(t);
  const secretEnv = 'env-secret-value-4711';
  const secretArg = 'arg-secret-value-0815';
  const run = cli(
    t,
    ['start', app, '--workers', '2', '--name', 'adm', '--admin', `127.0.0.1:${port}`, '--', '--password', secretArg],
    {
      env: { SPINDLE_HOME: dir, SPINDLE_ADMIN_TOKEN: TOKEN, SOME_SECRET: secretEnv },
    },
  );
  await run.waitFor(/running as pid/, 60_000);
  const auth = { authorization: `Bearer ${TOKEN}` };
  const status = await get(port, '/status', { headers: auth });
  assert.equal(status.status, 200);
  const s = JSON.parse(status.body);
  assert.equal(s.kind, 'start');
  assert.equal(s.name, 'adm');
  assert.equal(s.workers.length, 2);
  // the same snapshot as the control socket's: same keys, same workers
  const { json } = await spindle(t, dir, ['status', 'adm', '--json']);
  assert.deepEqual(Object.keys(s).sort(), Object.keys(json).sort());
  assert.deepEqual(
    s.workers.map((w) => [w.id, w.pid]),
    json.workers.map((w) => [w.id, w.pid]),
  );
  const metrics = await get(port, '/metrics', { headers: auth });
  for (const body of [status.body, metrics.body]) {
    for (const secret of [secretEnv, secretArg, TOKEN]) assert.equal(body.includes(secret), false, `${secret} exposed`);
  }
  // the token is the supervisor's alone: its workers do not inherit it
  await run.waitFor(/token seen by worker: no[\s\S]*token seen by worker: no/);
  assert.doesNotMatch(run.out.stdout + run.out.stderr, /token seen by worker: yes/);
  run.child.kill('SIGTERM');
  assert.equal((await run.exit()).code, 0);
});
