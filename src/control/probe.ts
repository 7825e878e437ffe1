// Is anyone listening on a socket path? Used before claiming a name (refuse
// one that is running, reclaim one left by a killed supervisor) and by `ls`.
import { lstatSync } from 'node:fs';
import net from 'node:net';
import { encode, LineReader, PROTOCOL_VERSION } from './protocol.js';

export type Probe =
  | { state: 'alive'; pid: number | null }
  /** A socket file nobody listens on; `ino` identifies exactly that file for removal. */
  | { state: 'stale'; ino: number }
  | { state: 'absent' };

/**
 * Connects to `path`: refused means a stale socket, a connection means a live
 * supervisor (whose pid `hello` tells, when it answers within `timeout`).
 */
export function probeSocket(path: string, timeout = 1000): Promise<Probe> {
  let ino: number;
  try {
    const st = lstatSync(path);
    if (!st.isSocket()) return Promise.resolve({ state: 'absent' });
    ino = st.ino;
  } catch {
    return Promise.resolve({ state: 'absent' });
  }
  return new Promise((resolve) => {
    const socket = net.connect(path);
    let pid: number | null = null;
    const done = (p: Probe) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(p);
    };
    const timer = setTimeout(() => done({ state: 'alive', pid }), timeout);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') done({ state: 'stale', ino });
      else if (err.code === 'ENOENT') done({ state: 'absent' });
      // Anything else (EACCES: not ours; EAGAIN: backlog full): something is there, treat it as running.
      else done({ state: 'alive', pid });
    });
    socket.once('connect', () => {
      const reader = new LineReader(
        64 * 1024,
        (line) => {
          try {
            const r = JSON.parse(line) as { result?: { pid?: unknown } };
            if (typeof r.result?.pid === 'number') pid = r.result.pid;
          } catch {
            // not ours to judge: it answered, so it runs
          }
          done({ state: 'alive', pid });
        },
        () => done({ state: 'alive', pid }),
      );
      socket.on('data', (c: Buffer) => reader.push(c));
      socket.once('close', () => done({ state: 'alive', pid }));
      socket.write(encode({ v: PROTOCOL_VERSION, id: 'probe', cmd: 'hello' }));
    });
  });
}
