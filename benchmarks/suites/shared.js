// spindle/shared: Channel throughput between two worker threads vs a
// MessageChannel (and ringbuf.js), per record and batched; Channel throughput
// to the main thread; the cost of an uncontended lock; and wake-up latency of
// an Atomics hand-off vs a postMessage round trip.
//
//   node benchmarks/run.js shared [--rounds=N] [--pairs]
//   (--pairs: only the thread-to-thread table, the one issue 17's bars are about)
import { once } from 'node:events';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Mutex as AsyncMutex } from 'async-mutex';
import { RingBuffer } from 'ringbuf.js';
import { Channel, Mutex, Semaphore } from 'spindle/shared';
import { median, rounds, table, writeJson } from '../lib/report.js';

const workerFile = new URL('../lib/shared-worker.js', import.meta.url);
const N = 200_000;

function start(data) {
  const worker = new Worker(workerFile, { workerData: data });
  const exited = once(worker, 'exit');
  return { worker, exited };
}

async function ready(worker) {
  await once(worker, 'online');
}

function open(go) {
  Atomics.store(go, 0, 1);
  Atomics.notify(go, 0);
}

const gate = () => new Int32Array(new SharedArrayBuffer(4));

// --- thread to thread: issue 17's measurement
//
// Two worker threads (never the main thread), both started and blocked on a
// shared start flag before the clock starts; one sends PAIR_N records, the
// other receives them; the time runs from the moment the main thread opens the
// flag to the moment the receiver has the last record (its clock and the main
// thread's are the same clock). The baseline is the same two threads with a
// MessageChannel: postMessage per record, the receiver counting 'message' events.

const PAIR_N = 200_000;
const BATCH = 256;
const RING = { capacity: 1024, maxRecordSize: 64 };
const INT32_RING = { capacity: 1024, type: 'int32' };

const pairCases = [
  { name: 'postMessage (MessageChannel)', transport: 'port', kinds: ['int', 'object'] },
  { name: 'Channel sendSync / receiveSync', transport: 'channel', options: RING, kinds: ['int', 'object'] },
  { name: "Channel { type: 'int32' }, per record", transport: 'channel', options: INT32_RING, kinds: ['int'] },
  {
    name: `Channel sendManySync / receiveManySync (${BATCH})`,
    transport: 'batch',
    options: RING,
    kinds: ['int', 'object'],
  },
  { name: `Channel { type: 'int32' }, batched (${BATCH})`, transport: 'batch', options: INT32_RING, kinds: ['int'] },
  { name: 'ringbuf.js Int32, one producer (spins)', transport: 'ringbuf', kinds: ['int'] },
];

async function whenReady(go) {
  for (let seen = Atomics.load(go, 1); seen < 2; seen = Atomics.load(go, 1)) {
    const w = Atomics.waitAsync(go, 1, seen, 10_000);
    if (w.async && (await w.value) === 'timed-out') throw new Error('pair workers did not get ready');
  }
}

/** One run of a (transport, record kind): records per second. */
async function pairRun({ transport, options }, kind) {
  const go = new Int32Array(new SharedArrayBuffer(12)); // [open, ready count, receiver done]
  const data = { pair: transport, n: PAIR_N, kind, go, batch: BATCH };
  let sendData = {};
  let receiveData = {};
  let sendList = [];
  let receiveList = [];
  if (transport === 'port') {
    const { port1, port2 } = new MessageChannel();
    sendData = { port: port1 };
    receiveData = { port: port2 };
    sendList = [port1];
    receiveList = [port2];
  } else if (transport === 'ringbuf') {
    const storage = RingBuffer.getStorageForCapacity(1024, Int32Array);
    sendData = receiveData = { storage };
  } else {
    const channel = new Channel(options);
    sendData = receiveData = { channel };
  }
  const receiver = new Worker(workerFile, {
    workerData: { ...data, ...receiveData, role: 'receive' },
    transferList: receiveList,
  });
  const sender = new Worker(workerFile, { workerData: { ...data, ...sendData, role: 'send' }, transferList: sendList });
  const exited = Promise.all([once(receiver, 'exit'), once(sender, 'exit')]);
  const end = once(receiver, 'message');
  await whenReady(go);
  const t0 = performance.timeOrigin + performance.now();
  Atomics.store(go, 0, 1);
  Atomics.notify(go, 0);
  const [t1] = await end;
  await exited;
  return (PAIR_N / (t1 - t0)) * 1000;
}

async function pairs(roundCount) {
  const runs = pairCases.flatMap((c) => c.kinds.map((kind) => ({ c, kind, key: `${kind}: ${c.name}`, values: [] })));
  // Alternate the order every round so that every case sees the same machine.
  for (let round = 0; round <= roundCount; round++) {
    const order = round % 2 ? [...runs].reverse() : runs;
    for (const run of order) {
      const value = await pairRun(run.c, run.kind);
      if (round > 0) run.values.push(value); // round 0 warms up
    }
  }
  const rows = [];
  for (const run of runs) {
    const base = runs.find((r) => r.kind === run.kind && r.c.transport === 'port');
    const ratios = run.values.map((v, i) => v / base.values[i]).sort((a, b) => a - b);
    rows.push({
      record: run.kind === 'int' ? 'int' : '{ id, name, ok }',
      transport: run.c.name,
      'rec/s (median)': median(run.values),
      'x postMessage (ratio of medians)': `${(median(run.values) / median(base.values)).toFixed(2)}x`,
      'per-round ratios (min-max)': `${ratios[0].toFixed(1)}-${ratios.at(-1).toFixed(1)}x`,
    });
  }
  return rows;
}

// --- throughput to the main thread and to a worker, as measured before issue 17

// A producer and a consumer worker; the consumer times itself from the start gate.
async function workerPair(producer, consumer) {
  const go = gate();
  const p = start({ ...producer, n: N, go });
  const c = start({ ...consumer, n: N, go });
  await Promise.all([ready(p.worker), ready(c.worker)]);
  const took = once(c.worker, 'message');
  open(go);
  const [ms] = await took;
  await Promise.all([p.exited, c.exited]);
  return (N / ms) * 1000;
}

function channelToWorker(kind) {
  const channel = new Channel({ capacity: 1024, maxRecordSize: 64 });
  return workerPair({ mode: 'channel-produce', channel, kind }, { mode: 'channel-consume', channel });
}

async function channelToMainAsync(kind) {
  const channel = new Channel({ capacity: 1024, maxRecordSize: 64 });
  const go = gate();
  const p = start({ mode: 'channel-produce', channel, n: N, kind, go });
  await ready(p.worker);
  open(go);
  const t0 = performance.now();
  let got = 0;
  for await (const _ of channel) if (++got === N) break;
  const ms = performance.now() - t0;
  await p.exited;
  return (N / ms) * 1000;
}

async function portToMain(kind) {
  const go = gate();
  const p = start({ mode: 'port-produce', n: N, kind, go });
  await ready(p.worker);
  let got = 0;
  const all = new Promise((resolve) => p.worker.on('message', () => ++got === N && resolve()));
  open(go);
  const t0 = performance.now();
  await all;
  const ms = performance.now() - t0;
  await p.exited;
  return (N / ms) * 1000;
}

function ringbufToWorker() {
  const storage = RingBuffer.getStorageForCapacity(1024, Int32Array);
  return workerPair({ mode: 'ringbuf-produce', storage }, { mode: 'ringbuf-consume', storage });
}

async function throughput() {
  const rows = [];
  for (const kind of ['int', 'string', 'object']) {
    const port = median(await rounds(() => portToMain(kind)));
    const toWorker = median(await rounds(() => channelToWorker(kind)));
    const toMain = median(await rounds(() => channelToMainAsync(kind)));
    const ring = kind === 'int' ? median(await rounds(() => ringbufToWorker())) : undefined;
    rows.push({
      record: kind,
      'postMessage → main (rec/s)': port,
      'Channel → main, for await (rec/s)': toMain,
      'Channel → worker, receiveSync (rec/s)': toWorker,
      'ringbuf.js Int32 → worker (rec/s)': ring ?? '-',
      'for await / postMessage': `${(toMain / port).toFixed(1)}x`,
      'receiveSync / postMessage': `${(toWorker / port).toFixed(1)}x`,
    });
  }
  return rows;
}

// --- uncontended lock/unlock, one thread

function perOp(ops, fn) {
  const t0 = performance.now();
  fn(ops);
  return ((performance.now() - t0) * 1e6) / ops;
}

async function perOpAsync(ops, fn) {
  const t0 = performance.now();
  await fn(ops);
  return ((performance.now() - t0) * 1e6) / ops;
}

async function uncontended() {
  const SYNC = 1_000_000;
  const ASYNC = 200_000;
  const m = new Mutex();
  const s = new Semaphore(1);
  const raw = new Int32Array(new SharedArrayBuffer(4));
  const am = new AsyncMutex();
  const cases = {
    'raw Atomics CAS + exchange': () =>
      perOp(SYNC, (n) => {
        for (let i = 0; i < n; i++) {
          Atomics.compareExchange(raw, 0, 0, 1);
          Atomics.exchange(raw, 0, 0);
        }
      }),
    'Mutex tryLock() + release()': () =>
      perOp(SYNC, (n) => {
        for (let i = 0; i < n; i++) m.tryLock().release();
      }),
    'Mutex lockSync() + release()': () =>
      perOp(SYNC, (n) => {
        for (let i = 0; i < n; i++) m.lockSync().release();
      }),
    'Mutex withLockSync(fn)': () =>
      perOp(SYNC, (n) => {
        for (let i = 0; i < n; i++) m.withLockSync(() => i);
      }),
    'Semaphore acquireSync() + release()': () =>
      perOp(SYNC, (n) => {
        for (let i = 0; i < n; i++) s.acquireSync().release();
      }),
    'Mutex await lock() + release()': () =>
      perOpAsync(ASYNC, async (n) => {
        for (let i = 0; i < n; i++) (await m.lock()).release();
      }),
    'async-mutex await acquire() + release() (one thread only)': () =>
      perOpAsync(ASYNC, async (n) => {
        for (let i = 0; i < n; i++) (await am.acquire())();
      }),
  };
  const rows = [];
  for (const [name, fn] of Object.entries(cases))
    rows.push({ operation: name, 'ns/op (median)': median(await rounds(fn)) });
  return rows;
}

// --- wake-up latency: round trips between the main thread and a worker

async function roundTrips(label, n, setup) {
  const { once: trip, close } = await setup();
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await trip(i);
    times[i] = performance.now() - t0;
  }
  await close();
  const sorted = [...times].sort((a, b) => a - b);
  return { 'round trip': label, 'median (µs)': median(sorted) * 1000, 'p99 (µs)': sorted[Math.floor(n * 0.99)] * 1000 };
}

async function latency() {
  const n = 10_000;
  const rows = [];
  rows.push(
    await roundTrips('postMessage ↔ worker', n, async () => {
      const { worker, exited } = start({ mode: 'echo-port' });
      await ready(worker);
      return {
        once: (i) => {
          const reply = once(worker, 'message');
          worker.postMessage(i);
          return reply;
        },
        close: () => {
          worker.postMessage('stop');
          return exited;
        },
      };
    }),
  );
  for (const mainWaits of ['async', 'sync']) {
    rows.push(
      await roundTrips(
        `Channel ↔ worker (main: ${mainWaits === 'async' ? 'await receive()' : 'receiveSync()'})`,
        n,
        async () => {
          const ping = new Channel({ capacity: 1, maxRecordSize: 16 });
          const pong = new Channel({ capacity: 1, maxRecordSize: 16 });
          const { worker, exited } = start({ mode: 'echo-channel', ping, pong });
          await ready(worker);
          return {
            once:
              mainWaits === 'async'
                ? (i) => {
                    ping.sendSync(i);
                    return pong.receive();
                  }
                : (i) => {
                    ping.sendSync(i);
                    pong.receiveSync();
                  },
            close: () => {
              ping.close();
              return exited;
            },
          };
        },
      ),
    );
  }
  rows.push(
    await roundTrips('raw Atomics.wait/notify ↔ worker (main blocks)', n, async () => {
      const flags = new SharedArrayBuffer(8);
      const f = new Int32Array(flags);
      const { worker, exited } = start({ mode: 'echo-atomics', flags, n });
      await ready(worker);
      return {
        once: (i) => {
          Atomics.store(f, 0, i + 1);
          Atomics.notify(f, 0);
          while (Atomics.load(f, 1) < i + 1) Atomics.wait(f, 1, i);
        },
        close: () => exited,
      };
    }),
  );
  return rows;
}

export async function run(args = []) {
  const results = {};
  const roundCount = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9)) || 7;
  results.pairs = await pairs(roundCount);
  table(
    `Thread to thread: ${PAIR_N.toLocaleString('en-US')} records, worker -> worker (median of ${roundCount} alternating rounds)`,
    results.pairs,
  );
  if (args.includes('--pairs')) {
    writeJson('shared-pairs', results);
    return;
  }
  results.throughput = await throughput();
  table(
    `Channel throughput, ${N.toLocaleString('en-US')} small records from a worker (median of 5)`,
    results.throughput,
  );
  results.uncontended = await uncontended();
  table('Uncontended lock + unlock, one thread (median of 5)', results.uncontended);
  results.latency = await latency();
  table('Wake-up latency: 10,000 round trips main ↔ worker', results.latency);
  writeJson('shared', results);
}
