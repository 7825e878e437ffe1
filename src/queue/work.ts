// A worker node: a Pool on this machine joined to a Redis queue. The API
// twin of `spindle work tasks.js --queue NAME --redis URL`.
import { InvalidOptionError } from '../errors/index.js';
import { Pool } from '../pool/pool.js';
import { knownOptions } from '../util/known.js';
import { toPath } from '../util/paths.js';
import { checkOneOf, invalid, workerCount } from '../util/validate.js';
import { JobQueue, type JobQueueState } from './job-queue.js';
import {
  type CloseOptions,
  type CloseResult,
  checkQueueName,
  type JobQueueOptions,
  resolveQueueOptions,
} from './options.js';
import { checkRedisUrl } from './store/connection.js';
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
  /** 'running', 'closing' (close() or destroy() called) or 'closed' (queue and pool stopped) */
  readonly state: JobQueueState;
  /** The queue's close() (running jobs get `grace`, the rest go back to Redis), then the pool stops. */
  close(options?: CloseOptions): Promise<CloseResult>;
  /** Running jobs are handed back to Redis now, then the pool stops. */
  destroy(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Joins this machine to queue `queue` on `redis`: its pool runs jobs as
 * they come. Resolves once the task module has loaded; rejects with its
 * load error (or ERR_QUEUE_BULLMQ_MISSING) otherwise.
 */
export async function work(options: WorkOptions): Promise<WorkHandle> {
  const o = knownOptions('options', options, WORK_OPTIONS);
  if (!o) throw invalid('options', 'an object with at least `tasks`, `queue` and `redis`', options);
  const { tasks, queue: rawName, redis: rawRedis, workers = 'auto', runtime = 'thread', ...rest } = o;
  checkTasks(tasks);
  const name = checkQueueName('queue', rawName);
  const redis = checkRedisUrl('redis', rawRedis);
  workerCount('workers', workers, () => 1); // the one rule for `workers` (cluster, CLI, here)
  checkOneOf('runtime', runtime, ['thread', 'process'] as const);
  // the queue's own options are checked before a pool starts for nothing
  resolveQueueOptions({ ...rest, name, store: { redis } } as JobQueueOptions);
  const pool = new Pool({
    worker: tasks as string | URL,
    runtime: runtime as 'thread' | 'process',
    maxWorkers: workers as number | 'auto',
    minWorkers: workers === 'auto' ? undefined : (workers as number),
    idleTimeout: Number.POSITIVE_INFINITY,
    errorClasses: rest.errorClasses as WorkOptions['errorClasses'],
  });
  let queue: JobQueue;
  try {
    await pool.taskNames(); // the module loads, or this rejects with why not
    queue = new JobQueue({ ...rest, name, pool, store: { redis } });
    await queue.ready().catch(async (err) => {
      await queue.destroy();
      throw err;
    });
  } catch (err) {
    await pool.destroy();
    throw err;
  }
  return new Node(queue, pool);
}

const WORK_OPTIONS: ReadonlySet<string> = new Set([
  'tasks',
  'queue',
  'redis',
  'workers',
  'runtime',
  'concurrency',
  'lockDuration',
  'stalledInterval',
  'maxStalledCount',
  'grace',
  'addTimeout',
  'defaultJobOptions',
  'errorClasses',
]);

function checkTasks(tasks: unknown): void {
  try {
    toPath('tasks', tasks);
  } catch (err) {
    if (err instanceof InvalidOptionError) throw err;
    // a file: URL string the URL parser refuses
    throw invalid('tasks', 'a path (a non-empty string) or a file: URL', tasks);
  }
}

class Node implements WorkHandle {
  #state: JobQueueState = 'running';
  #closing: Promise<CloseResult> | undefined;
  #destroying: Promise<void> | undefined;

  constructor(
    readonly queue: JobQueue,
    readonly pool: Pool,
  ) {}

  get state(): JobQueueState {
    return this.#state;
  }

  close(options?: CloseOptions): Promise<CloseResult> {
    if (this.#closing) return this.#closing;
    const closing = this.queue.close(options);
    if (this.queue.state === 'running') return closing; // refused options: nothing started
    this.#state = 'closing';
    this.#closing = closing.finally(async () => {
      await this.pool.destroy(); // its jobs are finished or back in Redis
      this.#state = 'closed';
    });
    return this.#closing;
  }

  destroy(): Promise<void> {
    this.#destroying ??= (async () => {
      const closed = this.close({ grace: 0 });
      await this.queue.destroy();
      await closed;
    })();
    return this.#destroying;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

export type { JobQueueEvents };
