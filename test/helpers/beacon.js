// Cross-process signals for tests. Worker processes share no memory with the
// test, so instead of Atomics their tasks report over a Unix socket: a task
// says "<name>" when it gets somewhere, and may wait for the test to release
// it ("wait <name>" ... "go"). Every wait on the test side has a timeout.
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let seq = 0;

/** Starts a beacon; `path` goes to the tasks (see test/fixtures/process/tasks.js). */
export async function beacon() {
  const path = join(tmpdir(), `spindle-beacon-${process.pid}-${seq++}.sock`);
  rmSync(path, { force: true });
  const counts = new Map();
  const waiters = [];
  const held = new Map(); // name -> sockets waiting for release
  const released = new Set();
  const server = net.createServer((socket) => {
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    let rest = '';
    socket.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop();
      for (const line of lines) {
        if (line.startsWith('wait ')) {
          const name = line.slice(5);
          if (released.has(name)) socket.write('go\n');
          else held.set(name, [...(held.get(name) ?? []), socket]);
          continue;
        }
        counts.set(line, (counts.get(line) ?? 0) + 1);
        for (const w of [...waiters]) w();
      }
    });
  });
  server.listen(path);
  await once(server, 'listening');
  server.unref();
  return {
    path,
    /** How often `name` was said. */
    count: (name) => counts.get(name) ?? 0,
    /** Resolves once `name` was said `times` times; rejects after `ms`. */
    seen(name, times = 1, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if ((counts.get(name) ?? 0) < times) return false;
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(check), 1);
          resolve();
          return true;
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`beacon: '${name}' seen ${counts.get(name) ?? 0} times, not ${times}, within ${ms} ms`));
        }, ms);
        waiters.push(check);
        check();
      });
    },
    /** Lets every task waiting on `name` go, now and later. */
    release(name) {
      released.add(name);
      for (const s of held.get(name) ?? []) s.write('go\n');
      held.delete(name);
    },
    close() {
      server.close();
      rmSync(path, { force: true });
    },
  };
}
