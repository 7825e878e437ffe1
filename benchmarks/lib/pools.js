// One adapter per pool library: create(size) -> { run(name, arg), close() }.
// Each uses the library the way its README recommends, pool size fixed.
import { Worker } from 'node:worker_threads';
import { roundRobin } from './scenarios.js';

const tasks = new URL('../workers/pool/tasks.js', import.meta.url);
const w = (f) => new URL(`../workers/pool/${f}`, import.meta.url);

export const adapters = {
  async spindle(size) {
    const { Pool } = await import('spindle');
    const pool = new Pool({ worker: tasks, minWorkers: size, maxWorkers: size });
    await pool.ready();
    return { run: (name, arg) => pool.run(name, [arg]), close: () => pool.destroy() };
  },
  async piscina(size) {
    const { Piscina } = await import('piscina');
    const pool = new Piscina({ filename: tasks.href, minThreads: size, maxThreads: size });
    return { run: (name, arg) => pool.run(arg, { name }), close: () => pool.destroy() };
  },
  async tinypool(size) {
    const { Tinypool } = await import('tinypool');
    const pool = new Tinypool({ filename: tasks.href, minThreads: size, maxThreads: size, isolateWorkers: false });
    return { run: (name, arg) => pool.run(arg, { name }), close: () => pool.destroy() };
  },
  async workerpool(size) {
    const workerpool = (await import('workerpool')).default;
    const pool = workerpool.pool(w('workerpool-worker.js').pathname, {
      minWorkers: size,
      maxWorkers: size,
      workerType: 'thread',
    });
    return { run: (name, arg) => pool.exec(name, [arg]), close: () => pool.terminate(true) };
  },
  async poolifier(size) {
    const { FixedThreadPool } = await import('poolifier');
    const pool = new FixedThreadPool(size, w('poolifier-worker.js').pathname, { enableTasksQueue: true });
    await new Promise((r) => (pool.info.ready ? r() : pool.emitter.once('ready', r)));
    return { run: (name, arg) => pool.execute(arg, name), close: () => pool.destroy() };
  },
  async raw(size) {
    // what Node gives you: round-robin postMessage, a Map of pending promises
    const workers = Array.from({ length: size }, () => new Worker(w('raw-worker.js')));
    const run = roundRobin(workers, (wk, m) => wk.postMessage(m));
    await Promise.all(workers.map((wk) => new Promise((r) => wk.once('online', r))));
    return {
      run,
      close: () => Promise.all(workers.map((wk) => wk.terminate())),
    };
  },
};
