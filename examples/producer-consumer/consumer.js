// The consumers' task module: each pool task drains the jobs channel until it
// is closed and empty, reporting one result per job.
import { threadId } from 'node:worker_threads';
import { Channel } from 'spindle/shared';

function isPrime(n) {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/** Takes jobs until the channel is closed and drained; returns how many it handled. */
export function consume(jobsChannel, resultsChannel) {
  const jobs = Channel.from(jobsChannel);
  const results = Channel.from(resultsChannel);
  let handled = 0;
  for (const job of jobs.valuesSync()) {
    let primes = 0;
    for (let n = job.from; n < job.to; n++) if (isPrime(n)) primes++;
    results.sendSync({ id: job.id, primes, worker: threadId });
    handled++;
  }
  return handled;
}
