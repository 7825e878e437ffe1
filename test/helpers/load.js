// A small, bounded HTTP load client for the cluster tests: `concurrency`
// request loops over a keep-alive agent until `stop()` (or `duration`); counts
// successes, failures (errors) and non-2xx answers, and keeps every body.
import http from 'node:http';

export function load({ port, path = '/', concurrency = 8, duration = 30_000, host = '127.0.0.1', headers } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const stats = { ok: 0, failed: 0, non2xx: 0, errors: [], bodies: [] };
  let running = true;
  const timer = setTimeout(() => (running = false), duration);

  function once() {
    return new Promise((resolve) => {
      const req = http.get({ host, port, path, agent, headers }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode >= 200 && res.statusCode < 300) {
            stats.ok++;
            stats.bodies.push(Buffer.concat(chunks).toString());
          } else stats.non2xx++;
          resolve();
        });
        res.on('error', (err) => {
          stats.failed++;
          stats.errors.push(err.code ?? err.message);
          resolve();
        });
      });
      req.setTimeout(20_000, () => req.destroy(new Error('request timeout')));
      req.on('error', (err) => {
        stats.failed++;
        stats.errors.push(err.code ?? err.message);
        resolve();
      });
    });
  }

  const loops = Array.from({ length: concurrency }, async () => {
    while (running) await once();
  });
  const done = Promise.all(loops).then(() => {
    clearTimeout(timer);
    agent.destroy();
    return stats;
  });
  return {
    stats,
    /** Stops the loops after their current request and resolves with the counts. */
    stop() {
      running = false;
      return done;
    },
    done,
  };
}

/** One request without keep-alive; resolves with { status, body, headers }. */
export function request(
  port,
  { path = '/', method = 'GET', headers, body, host = '127.0.0.1', localAddress, agent = false } = {},
) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, method, headers, agent, localAddress }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString(), headers: res.headers }),
      );
      res.on('error', reject);
    });
    req.setTimeout(20_000, () => req.destroy(new Error('request timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** A free TCP port on loopback (bound then released). */
export async function freePort() {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
