// One worker node of the queue benchmark, in its own process:
// `node queue-node.js spindle|spindle-prefetch|spindle-groups|spindle-base|bullmq <redis-url> <queue>`; prints "ready".
// spindle-prefetch takes 2 jobs per thread (concurrency 2): the next job waits
// in the pool's queue, fetched, while the current one runs. spindle-groups
// runs with groupConcurrency 1 (its jobs come with a group). spindle-base is
// another build of spindle (the directory in SPINDLE_BASE), for before/after.
import { fileURLToPath, pathToFileURL } from 'node:url';

const [kind, url, queue] = process.argv.slice(2);
if (kind.startsWith('spindle')) {
  const entry =
    kind === 'spindle-base' ? pathToFileURL(`${process.env.SPINDLE_BASE}/dist/queue/index.js`).href : 'spindle/queue';
  const { work } = await import(entry);
  await work({
    tasks: new URL('../workers/queue/tasks.js', import.meta.url),
    queue,
    redis: url,
    workers: 1,
    concurrency: kind === 'spindle-prefetch' ? 2 : 1,
    ...(kind === 'spindle-groups' ? { groupConcurrency: 1 } : {}),
  });
} else {
  const { Worker } = await import('bullmq');
  const { hostname, port } = new URL(url);
  const worker = new Worker(queue, fileURLToPath(new URL('../workers/queue/bull-processor.cjs', import.meta.url)), {
    connection: { host: hostname, port: Number(port), maxRetriesPerRequest: null },
    useWorkerThreads: true,
    concurrency: 1,
  });
  await worker.waitUntilReady();
}
process.stdout.write('ready\n');
