import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Channel } from 'spindle/shared';
import { startWorker, within } from './fixtures/shared/helpers.js';
import { checkRecord } from './fixtures/shared/records.js';

// Header words that must stay zero: everything but the layout fields and the
// hot words (ENQ 16, DEQ 32, waiters/seq 48-49 and 64-65), in Int32 indices.
const HOT = new Set([0, 1, 2, 3, 4, 16, 32, 48, 49, 64, 65]);

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
    const header = new Int32Array(channel.buffer, 0, 80);
    for (let i = 0; i < 80; i++) if (!HOT.has(i)) assert.equal(header[i], 0, `header word ${i} was overwritten`);
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
