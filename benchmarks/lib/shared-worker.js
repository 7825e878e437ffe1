// The other thread of the `shared` suite. One mode per run, chosen in workerData.
import { parentPort, workerData } from 'node:worker_threads';
import { RingBuffer } from 'ringbuf.js';
import { Channel } from 'spindle/shared';

export const records = {
  int: (i) => i,
  string: (i) => `item-${i}-abcdefgh`,
  object: (i) => ({ id: i, name: 'widget', ok: true }),
};

/** Blocks until the main thread opens the start gate (go[0] = 1). */
function waitForGo(go) {
  while (Atomics.load(go, 0) === 0) Atomics.wait(go, 0, 0);
}

/** Says "ready" (go[1] += 1) to the main thread, which opens the gate once both threads are. */
function ready(go) {
  Atomics.add(go, 1, 1);
  Atomics.notify(go, 1);
}

/** The end of a pair run: the receiver's clock, comparable with the main thread's. */
function finished() {
  parentPort.postMessage(performance.timeOrigin + performance.now());
}

// Two worker threads hand records to each other; one mode per (transport, role).
// Every sender waits on the gate, then sends `n` records made by records[kind];
// every receiver counts `n` records and reports when it got the last one.
const pairs = {
  port: {
    send({ port, n, kind, go }) {
      const make = records[kind];
      ready(go);
      waitForGo(go);
      for (let i = 0; i < n; i++) port.postMessage(make(i));
      // Closing the port (or exiting, which closes it) may drop messages still
      // queued at the other end: stay until the receiver has them all (go[2]).
      while (Atomics.load(go, 2) === 0) Atomics.wait(go, 2, 0);
    },
    receive({ port, n, go }) {
      let got = 0;
      port.on('message', () => {
        if (++got === n) {
          finished();
          Atomics.store(go, 2, 1);
          Atomics.notify(go, 2);
          port.close();
        }
      });
      ready(go);
    },
  },
  channel: {
    send({ channel, n, kind, go }) {
      const ch = Channel.from(channel);
      const make = records[kind];
      ready(go);
      waitForGo(go);
      for (let i = 0; i < n; i++) ch.sendSync(make(i));
    },
    receive({ channel, n, go }) {
      const ch = Channel.from(channel);
      ready(go);
      waitForGo(go);
      for (let i = 0; i < n; i++) ch.receiveSync();
      finished();
    },
  },
  batch: {
    send({ channel, n, kind, go, batch }) {
      const ch = Channel.from(channel);
      const make = records[kind];
      ready(go);
      waitForGo(go);
      for (let i = 0; i < n; i += batch) {
        const values = [];
        for (let k = i; k < i + batch && k < n; k++) values.push(make(k));
        ch.sendManySync(values);
      }
    },
    receive({ channel, n, go, batch }) {
      const ch = Channel.from(channel);
      ready(go);
      waitForGo(go);
      for (let got = 0; got < n; ) got += ch.receiveManySync(batch).length;
      finished();
    },
  },
  ringbuf: {
    send({ storage, n, go }) {
      const rb = new RingBuffer(storage, Int32Array);
      const one = new Int32Array(1);
      ready(go);
      waitForGo(go);
      for (let i = 0; i < n; i++) {
        one[0] = i;
        while (rb.push(one) === 0); // full: spin (ringbuf.js has no blocking wait)
      }
    },
    receive({ storage, n, go }) {
      const rb = new RingBuffer(storage, Int32Array);
      const one = new Int32Array(1);
      ready(go);
      waitForGo(go);
      for (let i = 0; i < n; i++) while (rb.pop(one) === 0); // empty: spin
      finished();
    },
  },
};

const modes = {
  'channel-produce'({ channel, n, kind, go }) {
    const ch = Channel.from(channel);
    const make = records[kind];
    waitForGo(go);
    for (let i = 0; i < n; i++) ch.sendSync(make(i));
  },
  'channel-consume'({ channel, n, go }) {
    const ch = Channel.from(channel);
    waitForGo(go);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) ch.receiveSync();
    parentPort.postMessage(performance.now() - t0);
  },
  'port-produce'({ n, kind, go }) {
    const make = records[kind];
    waitForGo(go);
    for (let i = 0; i < n; i++) parentPort.postMessage(make(i));
  },
  'ringbuf-produce'({ storage, n, go }) {
    const rb = new RingBuffer(storage, Int32Array);
    const one = new Int32Array(1);
    waitForGo(go);
    for (let i = 0; i < n; i++) {
      one[0] = i;
      while (rb.push(one) === 0); // full: spin (ringbuf.js has no blocking wait)
    }
  },
  'ringbuf-consume'({ storage, n, go }) {
    const rb = new RingBuffer(storage, Int32Array);
    const one = new Int32Array(1);
    waitForGo(go);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) while (rb.pop(one) === 0); // empty: spin
    parentPort.postMessage(performance.now() - t0);
  },
  'echo-channel'({ ping, pong }) {
    const a = Channel.from(ping);
    const b = Channel.from(pong);
    for (const v of a.valuesSync()) b.sendSync(v);
  },
  'echo-atomics'({ flags, n }) {
    // flags[0]: main -> worker turn counter, flags[1]: worker -> main
    const f = new Int32Array(flags);
    for (let i = 1; i <= n; i++) {
      while (Atomics.load(f, 0) < i) Atomics.wait(f, 0, i - 1);
      Atomics.store(f, 1, i);
      Atomics.notify(f, 1);
    }
  },
  'echo-port'() {
    parentPort.on('message', (m) => {
      if (m === 'stop') parentPort.close();
      else parentPort.postMessage(m);
    });
  },
};

if (parentPort && workerData?.pair) pairs[workerData.pair][workerData.role](workerData);
else if (parentPort && workerData?.mode) modes[workerData.mode](workerData);
