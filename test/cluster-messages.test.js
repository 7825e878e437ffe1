// Typed messages between the primary and its workers: broadcast, send,
// request/reply both ways, and the errors each can end with.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { isSupervised, onShutdown, primary, ready, supervise, workerId } from 'spindle/cluster';
import { fixtures, poll } from './helpers/cli.js';
import { freePort, request } from './helpers/load.js';

const app = join(fixtures, 'app.mjs');

test('broadcast, send and request/reply in both directions', { timeout: 60_000 }, async (t) => {
  const port = await freePort();
  const sup = await supervise({ script: app, workers: 2, env: { PORT: String(port) }, logger: false });
  t.after(() => sup.close());

  const acks = [];
  sup.onMessage('ack', (data, from) => acks.push([from.id, data.id, data.data]));
  assert.equal(sup.broadcast('set', { flag: true }), 2);
  await poll(() => acks.length === 2, 'two acks');
  assert.deepEqual(acks.sort(), [
    [1, 1, { flag: true }],
    [2, 2, { flag: true }],
  ]);
  sup.send(2, 'set', 'one');
  await poll(() => acks.length === 3, 'a third ack');
  assert.deepEqual(acks[2], [2, 2, 'one']);

  assert.deepEqual(await sup.request(2, 'whoami', { x: 1 }), { id: 2, pid: sup.workers[1].pid, data: { x: 1 } });
  await assert.rejects(sup.request(1, 'fail', null), (err) => {
    assert.equal(err.code, 'ERR_CLUSTER_HANDLER_FAILED');
    assert.equal(err.cause.code, 'E_NOPE');
    assert.equal(err.cause.message, 'nope');
    return true;
  });
  await assert.rejects(sup.request(1, 'nobody-handles-this', null), { code: 'ERR_CLUSTER_HANDLER_FAILED' });
  await assert.rejects(sup.request(1, 'hang', null, { timeout: '200ms' }), { code: 'ERR_CLUSTER_REQUEST_TIMEOUT' });
  for (const id of [0, 3, 1.5, '1'])
    assert.throws(() => sup.send(id, 'set', 1), { code: 'ERR_INVALID_OPTION', message: /a worker id from 1 to 2/ });

  // Worker → primary request; the handler sees which worker asked.
  let calls = 0;
  sup.handle('config', (data, from) => {
    calls++;
    return { answer: 42, asked: data.from, from: from.id };
  });
  const answer = JSON.parse((await request(port, { path: '/config' })).body);
  assert.equal(answer.answer, 42);
  assert.equal(answer.asked, answer.from);
  assert.equal(calls, 1);
});

test('a request to a worker that dies is rejected with ERR_CLUSTER_PEER_GONE', { timeout: 30_000 }, async (t) => {
  const port = await freePort();
  const sup = await supervise({ script: app, workers: 1, env: { PORT: String(port) }, logger: false });
  t.after(() => sup.close());
  const pending = sup.request(1, 'hang', null);
  process.kill(sup.workers[0].pid, 'SIGKILL');
  await assert.rejects(pending, { code: 'ERR_CLUSTER_PEER_GONE' });
});

test('close() takes unanswered requests with it (ERR_CLUSTER_CLOSED), and nothing can be sent after', {
  timeout: 30_000,
}, async () => {
  const port = await freePort();
  const sup = await supervise({ script: app, workers: 1, grace: '200ms', env: { PORT: String(port) }, logger: false });
  const pending = sup.request(1, 'hang', null);
  const closed = sup.close();
  assert.throws(() => sup.send(1, 'set', 1), { code: 'ERR_CLUSTER_CLOSED' });
  await assert.rejects(sup.request(1, 'whoami', null), { code: 'ERR_CLUSTER_CLOSED' });
  await assert.rejects(pending, { code: 'ERR_CLUSTER_CLOSED' });
  await closed;
  assert.equal(sup.broadcast('set', 1), 0);
  assert.throws(() => sup.send(2, 'set', 1), { code: 'ERR_INVALID_OPTION' }, 'a bad id is still named first');
});

test('outside a supervised worker the app API is inert or says why it cannot work', async () => {
  assert.equal(workerId, undefined);
  assert.equal(isSupervised, false);
  ready();
  const off = onShutdown(() => {});
  off();
  assert.throws(() => onShutdown('nope'), { code: 'ERR_INVALID_OPTION' });
  assert.throws(() => primary().send('x', 1), { code: 'ERR_CLUSTER_CONTEXT' });
  await assert.rejects(primary().request('x', 1), { code: 'ERR_CLUSTER_CONTEXT' });
});
