// examples/service: `spindle start` runs the image service; its CPU-heavy
// endpoints go through a thread Pool inside each worker process.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { blur, mandelbrot } from '../examples/service/tasks.js';
import { cli, root } from './helpers/cli.js';
import { freePort } from './helpers/load.js';

async function call(port, path, init) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { ...init, signal: AbortSignal.timeout(20_000) });
  return { status: res.status, worker: res.headers.get('x-worker'), body: new Uint8Array(await res.arrayBuffer()) };
}

test('the image service renders and blurs through its thread pools, and drains on SIGTERM', {
  timeout: 90_000,
}, async (t) => {
  const port = await freePort();
  const spindle = cli(
    t,
    [
      'start',
      join(root, 'examples/service/server.js'),
      '--workers',
      '2',
      '--probe',
      '/health',
      '--ready-timeout',
      '25s',
    ],
    {
      env: { PORT: String(port), THREADS: '1' },
    },
  );
  // Waits longer than the supervisor's own ready timeout: if a worker is slow,
  // the failure shows the supervisor's line naming the worker and the reason.
  await spindle.waitFor(/2 workers ready|not ready|exited/, 45_000);
  assert.match(spindle.out.stderr, /2 workers ready/);

  const fractal = await call(port, '/mandelbrot?size=200&iterations=100');
  assert.equal(fractal.status, 200);
  assert.deepEqual(fractal.body, mandelbrot(200, 100), 'same image as computed here');
  const soft = await call(port, '/blur?radius=2', { method: 'POST', body: fractal.body });
  assert.equal(soft.status, 200);
  assert.deepEqual(soft.body, blur(fractal.body, 2));

  // Several at once land on both processes.
  const many = await Promise.all(Array.from({ length: 8 }, () => call(port, '/mandelbrot?size=120')));
  assert.ok(many.every((r) => r.status === 200));
  assert.deepEqual(new Set(many.map((r) => r.worker)), new Set(['1', '2']));

  assert.equal((await call(port, '/blur', { method: 'POST', body: 'not an image' })).status, 400);
  assert.equal((await call(port, '/mandelbrot?size=-3')).status, 400);

  spindle.child.kill('SIGTERM');
  assert.deepEqual(await spindle.exit(), { code: 0, signal: null });
  assert.match(spindle.out.stderr, /stopped cleanly/);
});
