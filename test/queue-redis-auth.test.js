// Redis credentials (issue 11, item 2): a wrong or missing password is a
// coded error, fast, that never shows the password; and the 'error' rule
// (docs/conventions.md rule 8): with no listener, a process warning.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobQueue, work } from '../dist/queue/index.js';
import { freePort } from './helpers/load.js';
import { startRedis } from './helpers/redis.js';
import { fixture, rejectsCode, within } from './helpers.js';

const tasks = fixture('queue/tasks.js');
const PASSWORD = 'right-horse-battery';

function noSecret(err, secret) {
  for (const text of [err.message, String(err.stack), JSON.stringify(err), err.url ?? ''])
    assert.ok(!text.includes(secret), `the password leaked: ${text}`);
}

test('a wrong or missing password: add() rejects with ERR_QUEUE_AUTH_FAILED long before addTimeout; the error event is coded', {
  timeout: 60_000,
}, async (t) => {
  const redis = await startRedis(t, { args: ['--requirepass', PASSWORD] });
  const wrong = 'p@ss-wrong/secret'; // '@' and '/' in it, percent-encoded in the URL
  const url = `redis://:${encodeURIComponent(wrong)}@127.0.0.1:${redis.port}`;
  for (const [target, reply] of [
    [url, /WRONGPASS/],
    [redis.url, /NOAUTH/],
  ]) {
    const queue = new JobQueue({ name: 'auth', store: { redis: target }, addTimeout: '1m' });
    redis.cleanup(() => queue.close());
    const errors = [];
    queue.on('error', (e) => errors.push(e));
    const started = Date.now();
    const err = await rejectsCode(within(queue.add('echo', [1]), 20_000, 'add'), 'ERR_QUEUE_AUTH_FAILED');
    assert.ok(Date.now() - started < 20_000);
    assert.equal(err.name, 'QueueAuthFailedError');
    assert.match(err.message, reply);
    noSecret(err, wrong);
    noSecret(err, encodeURIComponent(wrong));
    // a second add() while Redis still refuses: at once
    await rejectsCode(within(queue.add('echo', [2]), 2000, 'second add'), 'ERR_QUEUE_AUTH_FAILED');
    assert.ok(errors.length >= 1, 'reported as an error event');
    for (const e of errors) {
      assert.equal(e.code, 'ERR_QUEUE_AUTH_FAILED', `${e.name}: ${e.message}`);
      noSecret(e, wrong);
    }
  }
  // the right password works
  const good = new JobQueue({ name: 'auth', store: { redis: `redis://:${PASSWORD}@127.0.0.1:${redis.port}` } });
  redis.cleanup(() => good.close());
  const job = await within(good.add('echo', [1]), 10_000, 'add with the right password');
  assert.equal(typeof job.id, 'string');
  // a node with a wrong password starts and reports the coded error
  const node = await within(work({ tasks, queue: 'auth', redis: url, workers: 1 }), 20_000, 'work');
  redis.cleanup(() => node.close());
  const nodeError = await within(new Promise((resolve) => node.queue.once('error', resolve)), 20_000, 'node error');
  assert.equal(nodeError.code, 'ERR_QUEUE_AUTH_FAILED');
});

test('rule 8: an error event nobody listens to becomes a process warning, not a crash', {
  timeout: 60_000,
}, async (t) => {
  const url = `redis://:some-password@127.0.0.1:${await freePort()}`;
  const warned = new Promise((resolve) => {
    const onWarning = (w) => {
      if (w.code !== 'ERR_QUEUE_UNREACHABLE') return;
      process.off('warning', onWarning);
      resolve(w);
    };
    process.on('warning', onWarning);
  });
  const queue = new JobQueue({ name: 'away', store: { redis: url }, addTimeout: 300 });
  t.after(() => queue.destroy());
  assert.equal(queue.listenerCount('error'), 0);
  await rejectsCode(within(queue.add('echo', [1]), 10_000, 'add'), 'ERR_QUEUE_UNREACHABLE');
  const warning = await within(warned, 10_000, 'the warning');
  assert.equal(warning.name, 'QueueUnreachableError');
  noSecret(warning, 'some-password');
});

test('closing a queue whose password Redis refused is quiet: no unhandled rejection (a crash by default)', {
  timeout: 60_000,
}, async (t) => {
  const redis = await startRedis(t, { args: ['--requirepass', PASSWORD] });
  const unhandled = [];
  const onUnhandled = (e) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  t.after(() => process.off('unhandledRejection', onUnhandled));
  for (let i = 0; i < 5; i++) {
    const queue = new JobQueue({ name: 'auth', store: { redis: `redis://:wrong@127.0.0.1:${redis.port}` } });
    const error = await within(new Promise((resolve) => queue.once('error', resolve)), 20_000, 'the refusal');
    assert.equal(error.code, 'ERR_QUEUE_AUTH_FAILED');
    await within(queue.close(), 20_000, 'close');
  }
  // one that comes after the test ended fails this file too (node:test reports it)
  assert.deepEqual(
    unhandled.map((e) => e.message),
    [],
  );
});
