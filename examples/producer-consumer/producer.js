// The producer thread: one job per chunk, then close() so consumers stop.
import { workerData } from 'node:worker_threads';
import { Channel } from 'spindle/shared';

const { limit, chunk } = workerData;
const jobs = Channel.from(workerData.jobs); // workerData arrives as plain data: revive it
for (let id = 0, from = 0; from < limit; id++, from += chunk) {
  jobs.sendSync({ id, from, to: Math.min(limit, from + chunk) }); // blocks while the channel is full
}
jobs.close();
