// The dashboard's parts without a browser: the bounded history and its rates,
// histogram quantiles of the pool/queue summary, the feed's lifecycle, and
// the stream's bounds (a client that stops reading, too many clients).
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import { Feed } from '../dist/dashboard/feed.js';
import { History, MAX_EVENTS } from '../dist/dashboard/history.js';
import { MAX_BUFFERED, MAX_STREAMS, serveStream } from '../dist/dashboard/stream.js';
import { quantile, summarize } from '../dist/dashboard/summary.js';
import { once } from './helpers/cli.js';

const reading = (id, pid, tasks) => ({ id, pid, rss: 1, cpu: 1, delay: 1, tasks });

test('history: rates from running totals, none across a new process or a counter that went back', () => {
  const h = new History(10);
  assert.equal(h.sample(1000, [reading(1, 10, 0)]).workers[0].rate, null, 'no rate from the first total');
  assert.equal(h.sample(2000, [reading(1, 10, 50)]).workers[0].rate, 50);
  assert.equal(h.sample(2500, [reading(1, 10, 100)]).workers[0].rate, 100, 'per second, whatever the interval');
  assert.equal(h.sample(3500, [reading(1, 11, 120)]).workers[0].rate, null, 'a new pid starts over');
  assert.equal(h.sample(4500, [reading(1, 11, 20)]).workers[0].rate, null, 'a total that went back');
  assert.equal(h.sample(5500, [reading(1, 11, 30)]).workers[0].rate, 10);
  assert.equal(h.sample(6500, [reading(1, 11, null)]).workers[0].rate, null, 'unknown stays unknown');
});

test('history: keeps the last `capacity` samples in order, at most MAX_EVENTS events, and only those in its span', () => {
  const h = new History(5);
  for (let t = 1; t <= 12; t++) h.sample(t * 1000, [reading(1, 1, null)]);
  assert.deepEqual(
    h.samples().map((s) => s.t),
    [8000, 9000, 10000, 11000, 12000],
  );
  h.event({ t: 1000, kind: 'crash', worker: 1, pid: 1, detail: 'old' });
  for (let i = 0; i < MAX_EVENTS + 20; i++) h.event({ t: 9000 + i, kind: 'restart', worker: 1, pid: 1, detail: '' });
  const events = h.events();
  assert.equal(events.length, MAX_EVENTS);
  assert.ok(
    events.every((e) => e.kind === 'restart'),
    'the oldest went first',
  );
  assert.throws(() => new History(0), RangeError);
});

test('summary: histogram quantiles interpolate within a bucket, in ms; none without observations', () => {
  const bucket = (le, value) => ({ metricName: 'x_bucket', labels: { pool: 'p', le }, value });
  const samples = [bucket(0.001, 0), bucket(0.01, 100), bucket(0.1, 100), bucket('+Inf', 100)];
  const near = (a, b) => assert.ok(Math.abs(a - b) < 1e-9, `${a} is not ${b}`);
  near(quantile(samples, 'pool', 'p', 0.5), 5.5); // halfway through 1 ms … 10 ms
  near(quantile(samples, 'pool', 'p', 0.99), 1 + 9 * 0.99);
  assert.equal(quantile(samples, 'pool', 'other', 0.5), null);
  const overflow = [bucket(0.001, 0), bucket(60, 0), bucket('+Inf', 3)];
  assert.equal(quantile(overflow, 'pool', 'p', 0.5), 60_000, 'in +Inf: the last finite bound');
  const s = summarize([
    {
      name: 'spindle_pool_tasks_total',
      type: 'counter',
      help: '',
      values: [
        { labels: { pool: 'p', outcome: 'completed' }, value: 7 },
        { labels: { pool: 'p', outcome: 'failed' }, value: 2 },
        { labels: { pool: 'p', outcome: 'timed_out' }, value: 1 },
      ],
    },
    {
      name: 'spindle_pool_workers',
      type: 'gauge',
      help: '',
      values: [
        { labels: { pool: 'p', state: 'busy' }, value: 1 },
        { labels: { pool: 'p', state: 'idle' }, value: 3 },
      ],
    },
    {
      name: 'spindle_queue_jobs',
      type: 'gauge',
      help: '',
      values: [{ labels: { queue: 'q', state: 'waiting' }, value: 4 }],
    },
  ]);
  assert.deepEqual(s.pools, [
    {
      name: 'p',
      queued: 0,
      busy: 1,
      idle: 3,
      completed: 7,
      failed: 3,
      wait: { p50: null, p99: null },
      run: { p50: null, p99: null },
    },
  ]);
  assert.deepEqual(s.queues[0].jobs, { waiting: 4 });
});

/** A source whose status is `size` bytes of JSON and whose events the test fires. */
function fakeSource(size = 100) {
  let emit = () => {};
  let subscribed = 0;
  return {
    kind: 'start',
    status: () => ({ state: 'running', pad: 'x'.repeat(size), workers: [] }),
    readings: () => [reading(1, 1, null)],
    subscribe(fn) {
      emit = fn;
      subscribed++;
      return () => {
        subscribed--;
        emit = () => {};
      };
    },
    fire: (e) => emit(e),
    get subscribed() {
      return subscribed;
    },
  };
}

test('feed: events go out with the next tick; close() sends a last tick, ends listeners and lets the source go', () => {
  const source = fakeSource();
  const feed = new Feed(source, { interval: 60_000 });
  const ticks = [];
  let ended = 0;
  feed.listen(
    (t) => ticks.push(t),
    () => ended++,
  );
  source.fire({ t: Date.now(), kind: 'reload', worker: null, pid: null, detail: '' });
  feed.tick();
  assert.deepEqual(
    ticks.map((t) => t.events.length),
    [1],
  );
  feed.tick();
  assert.deepEqual(
    ticks.map((t) => t.events.length),
    [1, 0],
  );
  feed.close();
  feed.close();
  assert.equal(ticks.length, 3, 'one last tick');
  assert.equal(ended, 1);
  assert.equal(source.subscribed, 0);
  assert.equal(feed.history.events().length, 1);
});

async function streamServer(t, feed) {
  const responses = [];
  const server = http.createServer((req, res) => {
    responses.push(res);
    serveStream(req, res, feed, { actions: false, readOnly: 'x' });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: server.address().port, responses };
}

test('stream: a client that stops reading costs at most MAX_BUFFERED, and starts over from the history when it reads again', {
  timeout: 30_000,
}, async (t) => {
  const feed = new Feed(fakeSource(64 * 1024), { interval: 60_000 });
  t.after(() => feed.close());
  const { port, responses } = await streamServer(t, feed);
  const socket = net.connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  socket.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  socket.pause(); // never reads
  let text = '';
  await once(socket, 'readable', 10_000);
  const res = responses[0];
  let peak = 0;
  for (let i = 0; i < 200; i++) {
    feed.tick();
    peak = Math.max(peak, res.writableLength);
  }
  assert.ok(peak <= MAX_BUFFERED + 200 * 1024, `buffered ${peak} bytes`);
  // reading again: once the buffer drained below the bound, the next message is a fresh init
  socket.setEncoding('utf8');
  socket.on('data', (d) => (text += d));
  socket.resume();
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no init after the client read again')), 20_000);
    const poll = setInterval(() => {
      if (res.writableLength < MAX_BUFFERED) feed.tick();
      if ((text.match(/event: init/g) ?? []).length >= 2) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }
    }, 20);
  });
});

test('stream: more than MAX_STREAMS at once are refused with 503; a closed client stops listening', {
  timeout: 30_000,
}, async (t) => {
  const feed = new Feed(fakeSource(), { interval: 60_000 });
  t.after(() => feed.close());
  const { port } = await streamServer(t, feed);
  const open = [];
  for (let i = 0; i < MAX_STREAMS; i++) {
    const req = http.get({ host: '127.0.0.1', port, path: '/events', agent: false });
    const [res] = await once(req, 'response', 10_000, () => true).then((r) => [r]);
    assert.equal(res.statusCode, 200);
    open.push(req);
  }
  assert.equal(feed.listeners, MAX_STREAMS);
  const refused = await new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/events', agent: false }, resolve).once('error', reject);
  });
  assert.equal(refused.statusCode, 503);
  refused.resume();
  for (const req of open) req.destroy();
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('listeners not released')), 10_000);
    const poll = setInterval(() => {
      if (feed.listeners === 0) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }
    }, 10);
  });
});
