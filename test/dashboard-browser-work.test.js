// The dashboard in a real browser (issue 14) on `spindle work --admin`: the
// node, its pool counting the jobs it runs, its queue and its failures.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobQueue } from '../dist/queue/index.js';
import { bin } from './helpers/cli.js';
import { browserFor, openPage, rowPids, screenshot } from './helpers/dashboard.js';
import { freePort } from './helpers/load.js';
import { startNode, startRedis } from './helpers/redis.js';
import { fixture } from './helpers.js';

const queueTasks = fixture('queue/tasks.js').pathname;

const WAIT = { timeout: 15_000 };

test('spindle work --admin: the page shows the node, its pool counting the jobs it runs, and its queue', {
  timeout: 90_000,
}, async (t) => {
  const redis = await startRedis(t);
  const adminPort = await freePort();
  const node = await startNode(
    t,
    bin,
    [
      'work',
      queueTasks,
      '--queue',
      'dash',
      '--redis',
      redis.url,
      '--workers',
      '1',
      '--admin',
      `127.0.0.1:${adminPort}`,
    ],
    { ready: /working on queue 'dash'/ },
  );
  const queue = new JobQueue({ name: 'dash', store: { redis: redis.url } });
  redis.cleanup(() => queue.close());
  const browser = await browserFor(t);
  const { page, errors } = await openPage(browser);
  await page.goto(`http://127.0.0.1:${adminPort}/`);
  await page.waitForSelector('#conn[data-state="live"]', WAIT);
  assert.deepEqual(await rowPids(page), [node.pid]);
  assert.match(await page.textContent('#title'), /spindle work/);

  // jobs keep coming while the page watches the pool's counter
  let adding = true;
  const feeding = (async () => {
    for (let i = 0; adding; i++) await queue.add('add', [i, 1]);
  })();
  t.after(() => (adding = false));
  await page.waitForSelector('#pools tbody tr .tasks', WAIT);
  const count = () => page.$eval('#pools tbody tr .tasks', (c) => Number.parseInt(c.textContent, 10));
  const first = await count();
  await page.waitForFunction(
    (n) => Number.parseInt(document.querySelector('#pools tbody tr .tasks').textContent, 10) > n,
    first,
    WAIT,
  );
  await page.waitForSelector('#queues tbody tr[data-queue="dash"]', WAIT);
  // a job that fails for good: listed with its error code and message
  const failing = await queue.add('failCoded', ['the disk is full', 'E_DISK_FULL']);
  await failing.result().catch(() => {});
  await page.waitForSelector('#queues tbody tr[data-queue="dash"] li:text("E_DISK_FULL: the disk is full")', WAIT);
  adding = false;
  await feeding;
  assert.equal(await screenshot(page, 'work.png'), false, 'the page overflows sideways');
  node.child.kill('SIGTERM');
  assert.equal((await node.exited).code, 0, node.output());
  await page.waitForSelector('#conn[data-state="stopped"]', WAIT);
  assert.deepEqual(errors, []);
});
