import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Channel } from 'spindle/shared';
import { startWorker, within } from './fixtures/shared/helpers.js';
import { checkRecord } from './fixtures/shared/records.js';

// Header words that must stay zero: everything but the layout fields and the
// hot words (ENQ 16, DEQ 32, waiters/seq 48-49 and 64-65), in Int32 indices.
const HOT = new Set([0, 1, 2, 3, 4, 6, 32, 64, 96, 97, 128, 129]);

async function stress({ capacity, perProducer }) {
  const channel = new Channel({ capacity, maxRecordSize: 256 });
  const producerModes = ['sync', 'sync', 'async'];
  const consumerModes = ['sync', 'sync', 'async'];
  const producers = producerModes.map((mode, id) =>
    startWorker('channel-producer.js', { channel, id, count: perProducer, mode }, { timeout: 120_000 }),
  );
  const consumers = consumerModes.map((mode) =>
    startWorker('channel-consumer.js', { channel, producers: producerModes.length, mode }, { timeout: 120_000 }),
  );
  // The main thread consumes too, through async iteration.
  const rescue = new AbortController();
  const mine = Array.from({ length: producerModes.length }, () => []);
  const mainConsumer = (async () => {
    for await (const record of channel.values({ signal: rescue.signal })) {
      const [p, seq] = checkRecord(record, channel.maxRecordSize);
      mine[p].push(seq);
    }
  })();
  try {
    await Promise.all(producers.map((w) => w.done));
    channel.close();
    const reports = (await Promise.all(consumers.map((w) => w.done))).map((m) => m[0]);
    await within(mainConsumer, 60_000, 'the main-thread consumer');
    const perConsumer = [...reports.map((r) => r.seen.map((s) => [...s])), mine];
    for (let p = 0; p < producerModes.length; p++) {
      // Per-producer order holds within each consumer...
      for (const seen of perConsumer) {
        for (let i = 1; i < seen[p].length; i++) assert.ok(seen[p][i - 1] < seen[p][i], `producer ${p} out of order`);
      }
      // ...and across all consumers every value arrives exactly once.
      const all = perConsumer.flatMap((seen) => seen[p]).sort((a, b) => a - b);
      assert.equal(all.length, perProducer, `producer ${p}: count`);
      for (let i = 0; i < perProducer; i++) assert.equal(all[i], i, `producer ${p}: seq ${i}`);
    }
    const header = new Int32Array(channel.buffer, 0, 160);
    for (let i = 0; i < 160; i++) if (!HOT.has(i)) assert.equal(header[i], 0, `header word ${i} was overwritten`);
    assert.deepEqual(channel.waiting, { senders: 0, receivers: 0 });
    assert.equal(channel.size, 0);
  } finally {
    rescue.abort();
  }
}

test(
  'MPMC: 3 producers, 4 consumers, capacity 7 (exact bound): each value once, per-producer order',
  { timeout: 180_000 },
  () => stress({ capacity: 7, perProducer: 15_000 }),
);

test('MPMC: capacity 64 (power of two)', { timeout: 180_000 }, () => stress({ capacity: 64, perProducer: 15_000 }));

// Batched hand-off with a close in the middle: producers send batches of
// random sizes until the channel closes, and report how many records went in
// (whole batches plus `err.sent` of the one the close cut short); consumers
// take batches of random sizes. Every record sent is received exactly once,
// none that was not sent, and each consumer sees each producer's records in order.
async function batchStress({ options, typed, closeAfter }) {
  const channel = new Channel(options);
  const producerModes = ['sync', 'sync', 'async'];
  const consumerModes = ['sync', 'sync', 'async'];
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const producers = producerModes.map((mode, id) =>
    startWorker('channel-batch-producer.js', { channel, id, mode, maxBatch: 40, typed }, { timeout: 120_000 }),
  );
  const consumers = consumerModes.map((mode, id) =>
    startWorker(
      'channel-batch-consumer.js',
      { channel, producers: producerModes.length, mode, maxBatch: 50, typed, id, counter },
      { timeout: 120_000 },
    ),
  );
  const mine = Array.from({ length: producerModes.length }, () => []);
  const mainConsumer = (async () => {
    let received = 0;
    for (;;) {
      let records;
      try {
        records = await channel.receiveMany(1 + (received % 37), { timeout: 60_000 });
      } catch (error) {
        if (error.code === 'ERR_SHARED_CHANNEL_CLOSED') return;
        throw error;
      }
      received += records.length;
      for (const record of records) {
        const [p, seq] = typed
          ? [Math.floor(record / 2 ** 24), record % 2 ** 24]
          : checkRecord(record, channel.maxRecordSize);
        mine[p].push(seq);
      }
      // The main thread closes once enough has gone through (the workers count
      // theirs in `counter` too): the producers are mid-batch then.
      const total = Atomics.add(counter, 0, records.length) + records.length;
      if (total >= closeAfter && !channel.closed) channel.close();
    }
  })();
  try {
    await within(mainConsumer, 100_000, 'the main-thread consumer');
    const sent = (await Promise.all(producers.map((w) => w.done))).map((m) => m[0].sent);
    const reports = (await Promise.all(consumers.map((w) => w.done))).map((m) => m[0]);
    const perConsumer = [...reports.map((r) => r.seen.map((s) => [...s])), mine];
    for (let p = 0; p < producerModes.length; p++) {
      for (const seen of perConsumer) {
        for (let i = 1; i < seen[p].length; i++) assert.ok(seen[p][i - 1] < seen[p][i], `producer ${p} out of order`);
      }
      const all = perConsumer.flatMap((seen) => seen[p]).sort((a, b) => a - b);
      assert.equal(all.length, sent[p], `producer ${p}: received as many as it sent`);
      for (let i = 0; i < sent[p]; i++) assert.equal(all[i], i, `producer ${p}: seq ${i}`);
    }
    assert.ok(sent.reduce((a, b) => a + b, 0) >= closeAfter, 'the close came after enough records went through');
    assert.deepEqual(channel.waiting, { senders: 0, receivers: 0 });
    assert.equal(channel.size, 0);
  } finally {
    if (!channel.closed) channel.close();
  }
}

test(
  'batched MPMC with a close in the middle: 3 producers, 3 consumers + main, exactly once, per-producer order',
  { timeout: 180_000 },
  () => batchStress({ options: { capacity: 7, maxRecordSize: 256 }, typed: false, closeAfter: 12_000 }),
);

test('batched MPMC on an int32 channel (capacity 64), a close in the middle', { timeout: 180_000 }, () =>
  batchStress({ options: { capacity: 64, type: 'int32' }, typed: true, closeAfter: 40_000 }),
);
