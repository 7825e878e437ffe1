// spindle/shared: Channel throughput vs MessagePort (and ringbuf.js), the cost
// of an uncontended lock, and wake-up latency of an Atomics hand-off vs a
// postMessage round trip.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
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

// --- throughput: records per second from one thread to another

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

export async function run() {
  const results = {};
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
