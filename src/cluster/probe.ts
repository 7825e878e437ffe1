import http from 'node:http';

/** GETs `path` from a worker's private socket (see sockets.ts); resolves on 2xx, rejects with why otherwise. */
export function probe(socketPath: string, path: string, timeout: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get({
      socketPath,
      path,
      agent: false,
      timeout,
      headers: { 'user-agent': 'spindle-probe' },
    });
    req.on('response', (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) resolve();
      else reject(new Error(`probe GET ${path} answered ${status}`));
    });
    req.on('timeout', () => req.destroy(new Error(`probe GET ${path} got no answer within ${timeout} ms`)));
    req.on('error', (err) =>
      reject(err.message.startsWith('probe') ? err : new Error(`probe GET ${path} failed: ${err.message}`)),
    );
  });
}
