// Sticky sessions: the same key always reaches the same worker, also across a
// restart of another worker; keep-alive and request bodies pass intact.
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { supervise } from 'spindle/cluster';
import { fixtures, once } from './helpers/cli.js';
import { freePort, request } from './helpers/load.js';

const app = join(fixtures, 'app.mjs');
const keys = Array.from({ length: 40 }, (_, i) => `client-${i}`);

async function owners(port, headersFor) {
  const out = new Map();
  for (const key of keys) out.set(key, JSON.parse((await request(port, { headers: headersFor(key) })).body).id);
  return out;
}

test('header:NAME pins each key to one worker, and a restart of another worker moves none of them', {
  timeout: 60_000,
}, async (t) => {
  const port = await freePort();
  const sup = await supervise({
    script: app,
    workers: 3,
    sticky: 'header:X-Client',
    restart: { minDelay: '1s', maxDelay: '1s' },
    env: { PORT: String(port) },
    logger: false,
  });
  t.after(() => sup.close());
  const byHeader = (key) => ({ 'x-client': key });
  const first = await owners(port, byHeader);
  assert.deepEqual(new Set(first.values()), new Set([1, 2, 3]), 'keys spread over all workers');
  assert.deepEqual(await owners(port, byHeader), first);

  // Restart worker 3: while it is down its keys go elsewhere, the others stay put.
  const victim = sup.workers[2].pid;
  const back = once(sup, 'workerReady', 20_000, (e) => e.id === 3);
  const down = once(sup, 'workerExit', 20_000, (e) => e.id === 3);
  process.kill(victim, 'SIGKILL');
  await down;
  const during = await owners(port, byHeader);
  for (const [key, id] of first)
    if (id !== 3) assert.equal(during.get(key), id, `${key} moved while another worker restarted`);
  await back;
  assert.deepEqual(await owners(port, byHeader), first, 'keys return to the restarted worker');
});

test('cookie:NAME and ip keys; keep-alive and large request bodies pass through intact', {
  timeout: 60_000,
}, async (t) => {
  const port = await freePort();
  const sup = await supervise({
    script: app,
    workers: 2,
    sticky: 'cookie:sid',
    env: { PORT: String(port) },
    logger: false,
  });
  t.after(() => sup.close());
  const byCookie = (key) => ({ cookie: `theme=dark; sid=${key}; lang=en` });
  const first = await owners(port, byCookie);
  assert.deepEqual(new Set(first.values()), new Set([1, 2]));
  assert.deepEqual(await owners(port, byCookie), first);
  // No cookie yet: routed by IP rather than refused.
  assert.equal((await request(port)).status, 200);

  // One keep-alive connection, several large POSTs: every byte arrives, same worker.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const body = Buffer.alloc(512 * 1024);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
  const sum = body.reduce((a, b) => (a + b) % 65521, 0);
  const seen = new Set();
  for (let i = 0; i < 4; i++) {
    const r = JSON.parse(
      (await request(port, { path: '/echo', method: 'POST', body, agent, headers: byCookie('client-7') })).body,
    );
    assert.deepEqual([r.length, r.sum, r.id], [body.length, sum, first.get('client-7')]);
    seen.add(r.pid);
  }
  assert.equal(seen.size, 1);
});

test("'ip' pins each client address to one worker", { timeout: 60_000 }, async (t) => {
  const port = await freePort();
  const sup = await supervise({ script: app, workers: 2, sticky: 'ip', env: { PORT: String(port) }, logger: false });
  t.after(() => sup.close());
  // The whole 127.0.0.0/8 is loopback on Linux: 20 distinct client IPs.
  const addresses = Array.from({ length: 20 }, (_, i) => `127.0.0.${i + 1}`);
  const ask = async () => {
    const out = [];
    for (const localAddress of addresses) out.push(JSON.parse((await request(port, { localAddress })).body).id);
    return out;
  };
  const first = await ask();
  assert.deepEqual(new Set(first), new Set([1, 2]));
  assert.deepEqual(await ask(), first);
});
