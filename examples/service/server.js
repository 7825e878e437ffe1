// An image service run by `spindle start`: the cluster spreads connections
// over processes, and inside each process a Pool of worker threads does the
// CPU-heavy rendering, so no request ever blocks the event loop.
//
//   npx spindle start examples/service/server.js --workers auto --probe /health
//   curl -o fractal.pgm 'localhost:3000/mandelbrot?size=512'
//   curl --data-binary @fractal.pgm -o soft.pgm 'localhost:3000/blur?radius=3'
import http from 'node:http';
import { Pool } from 'spindle';
import { onShutdown, workerId } from 'spindle/cluster';
import { parsePgm } from './tasks.js';

const port = Number(process.env.PORT ?? 3000);
const pool = new Pool({ worker: new URL('./tasks.js', import.meta.url), maxWorkers: Number(process.env.THREADS ?? 2) });

function intParam(url, name, fallback, max) {
  const n = Number(url.searchParams.get(name) ?? fallback);
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw Object.assign(new Error(`${name} must be an integer from 0 to ${max}`), { status: 400 });
  return n;
}

function readBody(req, limit = 16 * 1024 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) req.destroy(Object.assign(new Error('body too large'), { status: 413 }));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/health') return res.end('ok');
  if (url.pathname === '/mandelbrot' && req.method === 'GET') {
    const image = await pool.run('mandelbrot', [
      intParam(url, 'size', 256, 2048),
      intParam(url, 'iterations', 256, 10_000),
    ]);
    res.writeHead(200, { 'content-type': 'image/x-portable-graymap', 'x-worker': String(workerId) });
    return res.end(image);
  }
  if (url.pathname === '/blur' && req.method === 'POST') {
    const radius = intParam(url, 'radius', 2, 20);
    const body = await readBody(req);
    try {
      parsePgm(body); // cheap header check here, so a bad upload is a 400, not a task failure
    } catch (err) {
      throw Object.assign(err, { status: 400 });
    }
    const image = await pool.run('blur', [body, radius]);
    res.writeHead(200, { 'content-type': 'image/x-portable-graymap', 'x-worker': String(workerId) });
    return res.end(image);
  }
  res.writeHead(404).end('not found\n');
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    if (res.headersSent) return res.destroy();
    res.writeHead(err.status ?? 500, { 'content-type': 'text/plain' }).end(`${err.message}\n`);
  });
});
server.listen(port);

// In-flight requests finish before the worker exits; then the threads go.
onShutdown(async () => {
  await new Promise((resolve) => server.close(resolve));
  await pool.close();
});
