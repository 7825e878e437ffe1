#!/usr/bin/env node
// Usage: node examples/producer-consumer/index.js [--limit N] [--chunk N] [--consumers N] [--json]
// One producer thread cuts [0, limit) into jobs and sends them on a Channel; a
// Pool of consumer threads takes jobs from it, counts the primes in each range
// and sends the counts back on a second Channel, which the main thread reads
// with `for await` while its event loop stays free. No polling, no postMessage.
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { availableCpus, Pool } from 'spindle';
import { Channel } from 'spindle/shared';

const { values } = parseArgs({
  options: {
    limit: { type: 'string', default: '2000000' },
    chunk: { type: 'string', default: '50000' },
    consumers: { type: 'string', default: String(Math.max(2, availableCpus())) },
    json: { type: 'boolean', default: false },
  },
});
const limit = Number(values.limit);
const chunk = Number(values.chunk);
const consumers = Number(values.consumers);

const jobs = new Channel({ capacity: 16 }); // the producer waits when consumers fall behind
const results = new Channel({ capacity: 64 });
const started = performance.now();

const producer = new Worker(new URL('./producer.js', import.meta.url), { workerData: { jobs, limit, chunk } });
producer.on('error', (error) => {
  console.error('producer failed:', error);
  jobs.close(); // let the consumers finish instead of waiting forever
  process.exitCode = 1;
});

const pool = new Pool({ worker: new URL('./consumer.js', import.meta.url), maxWorkers: consumers });
const consuming = Promise.all(Array.from({ length: consumers }, () => pool.run('consume', [jobs, results])));
consuming.finally(() => results.close()); // ends the loop below once every consumer is done

let primes = 0;
const seen = new Set();
const perConsumer = new Map();
for await (const r of results) {
  if (seen.has(r.id)) throw new Error(`job ${r.id} was reported twice`);
  seen.add(r.id);
  primes += r.primes;
  perConsumer.set(r.worker, (perConsumer.get(r.worker) ?? 0) + 1);
}
const handled = await consuming;
await pool.close();

const expected = Math.ceil(limit / chunk);
const summary = {
  jobs: seen.size,
  expectedJobs: expected,
  primes,
  consumers,
  jobsPerConsumer: [...perConsumer.values()],
  handledPerTask: handled,
  ms: Math.round(performance.now() - started),
};
if (values.json) console.log(JSON.stringify(summary));
else {
  console.log(`producer: ${expected} jobs, numbers below ${limit.toLocaleString('en-US')} in chunks of ${chunk}`);
  console.log(`consumers: ${consumers} pool workers took ${summary.jobsPerConsumer.join(' / ')} jobs`);
  console.log(`result: ${primes.toLocaleString('en-US')} primes in ${summary.ms} ms`);
}
if (seen.size !== expected) process.exitCode = 1;
