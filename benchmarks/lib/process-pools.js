// Adapters for pools of child processes: create(size) -> { run(name, arg), close() }.
// Each uses the library's documented process mode, pool size fixed.
import { fork } from 'node:child_process';
import { roundRobin } from './scenarios.js';

const tasks = new URL('../workers/pool/tasks.js', import.meta.url);
const w = (f) => new URL(`../workers/${f}`, import.meta.url);

export const processAdapters = {
  async 'spindle-process'(size) {
    const { Pool } = await import('spindle');
    const pool = new Pool({ worker: tasks, runtime: 'process', minWorkers: size, maxWorkers: size });
    await pool.ready();
    return { run: (name, arg) => pool.run(name, [arg]), close: () => pool.destroy() };
  },
  async 'tinypool-process'(size) {
    const { Tinypool } = await import('tinypool');
    const pool = new Tinypool({
      filename: tasks.href,
      runtime: 'child_process',
      minThreads: size,
      maxThreads: size,
      isolateWorkers: false,
    });
    return { run: (name, arg) => pool.run(arg, { name }), close: () => pool.destroy() };
  },
  async 'workerpool-process'(size) {
    const workerpool = (await import('workerpool')).default;
    const pool = workerpool.pool(w('pool/workerpool-worker.js').pathname, {
      minWorkers: size,
      maxWorkers: size,
      workerType: 'process',
    });
    return { run: (name, arg) => pool.exec(name, [arg]), close: () => pool.terminate(true) };
  },
  // what Node gives you: fork (default 'json' IPC), round-robin process.send, a Map of pending promises
  'raw-process': (size) => rawProcess(size, 'json'),
  // the same with structured-clone IPC, the fidelity spindle gives
  'raw-process-advanced': (size) => rawProcess(size, 'advanced'),
};

async function rawProcess(size, serialization) {
  const children = Array.from({ length: size }, () => fork(w('process/raw-child.js'), { serialization }));
  await Promise.all(children.map((c) => new Promise((r) => c.once('message', r))));
  return {
    run: roundRobin(children, (c, m) => c.send(m)),
    close: () =>
      Promise.all(
        children.map(
          (c) =>
            new Promise((r) => {
              c.once('exit', r);
              c.kill();
            }),
        ),
      ),
  };
}
