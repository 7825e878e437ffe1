// The app scripts/screenshot.js runs under `spindle start` for the README's
// screenshot: an HTTP server on PORT and a pool named 'render' that keeps
// some tasks running, so the page has memory, CPU and task rates to show.
import http from 'node:http';
import { Pool } from 'spindle';
import { onShutdown, workerId } from 'spindle/cluster';

const pool = new Pool({
  name: 'render',
  worker: new URL('./dashboard-demo-tasks.mjs', import.meta.url),
  minWorkers: 1,
  maxWorkers: 2,
});
const timer = setInterval(() => {
  const n = 5 + Math.floor(Math.random() * 20);
  for (let i = 0; i < n; i++) pool.run('work', [2000 + Math.floor(Math.random() * 40_000)]).catch(() => {});
}, 100);
onShutdown(async () => {
  clearInterval(timer);
  await pool.close();
});
http
  .createServer((_req, res) => res.end(JSON.stringify({ id: workerId, pid: process.pid })))
  .listen(Number(process.env.PORT), '127.0.0.1');
