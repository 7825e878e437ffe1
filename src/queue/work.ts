// A worker node: a Pool on this machine joined to a Redis queue. The API
// twin of `spindle work tasks.js --queue NAME --redis URL`.
import { Pool } from '../pool/pool.js';
import { invalid } from '../util/validate.js';
import { JobQueue } from './job-queue.js';
import type { JobQueueOptions } from './options.js';
import type { JobQueueEvents } from './store/types.js';

/** Options of `work()`. */
export interface WorkOptions extends Omit<JobQueueOptions, 'name' | 'pool' | 'store'> {
  /** the task module (its exported functions are the tasks): path, file URL or URL string */
  tasks: string | URL;
  /** the queue's name */
  queue: string;
  /** the Redis server, e.g. 'redis://127.0.0.1:6379' */
  redis: string;
  /** pool size: a number or 'auto' (default: CPUs this process may use) */
  workers?: number | 'auto';
  /** 'thread' (default) or 'process' */
  runtime?: 'thread' | 'process';
}

/** A running node; close() finishes or hands back its jobs, then stops its pool. */
export interface WorkHandle {
  readonly queue: JobQueue;
  readonly pool: Pool;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Joins this machine to queue `queue` on `redis`: its pool runs jobs as
 * they come. Resolves once the task module has loaded; rejects with its
 * load error (or ERR_QUEUE_BULLMQ_MISSING) otherwise.
 */
export async function work(options: WorkOptions): Promise<WorkHandle> {
  if (options === null || typeof options !== 'object') throw invalid('options', 'an object', options);
  const { tasks, queue: name, redis, workers = 'auto', runtime = 'thread', ...rest } = options;
  if (typeof redis !== 'string') throw invalid('redis', "a URL such as 'redis://127.0.0.1:6379'", redis);
  const pool = new Pool({
    worker: tasks,
    runtime,
    maxWorkers: workers,
    minWorkers: workers === 'auto' ? undefined : workers,
    idleTimeout: Number.POSITIVE_INFINITY,
  });
  let queue: JobQueue;
  try {
    await pool.taskNames(); // the module loads, or this rejects with why not
    queue = new JobQueue({ ...rest, name, pool, store: { redis } });
    await queue.ready().catch(async (err) => {
      await queue.close();
      throw err;
    });
  } catch (err) {
    await pool.destroy();
    throw err;
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      try {
        await queue.close();
      } finally {
        await pool.destroy();
      }
    })();
    return closing;
  };
  return { queue, pool, close, [Symbol.asyncDispose]: close };
}

export type { JobQueueEvents };
