// A worker node: a Pool on this machine joined to a Redis queue. The API
// twin of `spindle work tasks.js --queue NAME --redis URL`.
import type { ControlStatusCommon } from '../control/types.js';
import { InvalidOptionError } from '../errors/index.js';
import { Pool } from '../pool/pool.js';
import type { PoolReloadResult, PoolScaleResult } from '../pool/types.js';
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
  /** a module each pool worker runs once before the task module (a tracer provider, see docs/observability.md) */
  setup?: string | URL;
}

/** One worker of a node's pool, as `status()` shows it. */
export interface WorkWorkerStatus {
  id: number;
  /** a process worker's pid; null for a thread */
  pid: number | null;
  /** 'starting', 'idle', 'busy', 'retiring' (reload or scale: finishes its job, takes no new one), 'stopping' */
  state: string;
  /** jobs (attempts) it ran to a result or an error */
  tasks: number;
  /** the job it runs now: its id, task name and start time (ms since the epoch), or null */
  job: { id: string | null; name: string; since: number } | null;
}

/** The one snapshot of a node (`spindle status NAME` of a `spindle work`, the control socket's `status`). */
export interface WorkStatus extends ControlStatusCommon {
  kind: 'work';
  /** the queue's name */
  queue: string;
  /** the task module's path */
  tasks: string;
  runtime: 'thread' | 'process';
  /** reload() calls since start, by outcome */
  reloads: { ok: number; failed: number };
  /** this process: rss and heapUsed (bytes), cpu (% of one core since the previous status(), null the first time), cpuSeconds */
  process: { rss: number; heapUsed: number; cpu: number | null; cpuSeconds: number };
  /** jobs of this node: active (handed to its pool, not settled), completed and failed attempts since start */
  jobs: { active: number; completed: number; failed: number };
  workers: WorkWorkerStatus[];
}

/** A running node; close() finishes or hands back its jobs, then stops its pool. */
export interface WorkHandle {
  readonly queue: JobQueue;
  readonly pool: Pool;
  /** 'running', 'closing' (close() or destroy() called) or 'closed' (queue and pool stopped) */
  readonly state: JobQueueState;
  /** The node's snapshot: its pool's workers, this process's memory and CPU, its job counts. */
  status(): WorkStatus;
  /** pool.reload() (counted in status().reloads): new workers, no job lost or run twice. */
  reload(): Promise<PoolReloadResult>;
  /** pool.scale(): the pool's size, which the queue's concurrency follows (unless `concurrency` was given). */
  scale(workers: number | 'auto'): Promise<PoolScaleResult>;
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
  const { tasks, queue: rawName, redis: rawRedis, workers = 'auto', runtime = 'thread', setup, ...rest } = o;
  checkTasks(tasks);
  const name = checkQueueName('queue', rawName);
  const redis = checkRedisUrl('redis', rawRedis);
  workerCount('workers', workers, () => 1); // the one rule for `workers` (cluster, CLI, here)
  checkOneOf('runtime', runtime, ['thread', 'process'] as const);
  // the queue's own options are checked before a pool starts for nothing
  resolveQueueOptions({ ...rest, name, store: { redis } } as JobQueueOptions, true);
  const pool = new Pool({
    worker: tasks as string | URL,
    runtime: runtime as 'thread' | 'process',
    maxWorkers: workers as number | 'auto',
    minWorkers: workers === 'auto' ? undefined : (workers as number),
    idleTimeout: Number.POSITIVE_INFINITY,
    ...(setup === undefined ? {} : { setup: setup as string | URL }),
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
  return new Node(queue, pool, { tasks: toPath('tasks', tasks), runtime: runtime as 'thread' | 'process' });
}

const WORK_OPTIONS: ReadonlySet<string> = new Set([
  'tasks',
  'queue',
  'redis',
  'workers',
  'runtime',
  'setup',
  'concurrency',
  'lockDuration',
  'stalledInterval',
  'maxStalledCount',
  'grace',
  'addTimeout',
  'defaultJobOptions',
  'errorClasses',
  'keep',
  'limiter',
  'groupConcurrency',
  'groupLimiter',
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
  readonly #startedAt = Date.now();
  #reloads = { ok: 0, failed: 0 };
  /** worker starts, and the starts that were no restart (the first workers, scale-ups) */
  #created = 0;
  #planned: number;
  #cpu = { at: performance.now(), usage: process.cpuUsage() };

  constructor(
    readonly queue: JobQueue,
    readonly pool: Pool,
    private readonly info: { tasks: string; runtime: 'thread' | 'process' },
  ) {
    this.#created = pool.workers.length;
    this.#planned = this.#created;
    pool.on('workerCreate', () => this.#created++);
    pool.on('scale', (r) => (this.#planned += r.started.length));
  }

  status(): WorkStatus {
    const now = Date.now();
    const memory = process.memoryUsage();
    const usage = process.cpuUsage();
    const at = performance.now();
    const elapsed = at - this.#cpu.at;
    const used = (usage.user + usage.system - this.#cpu.usage.user - this.#cpu.usage.system) / 1000;
    const cpu = elapsed >= 100 ? Math.round((used / elapsed) * 1000) / 10 : null;
    if (elapsed >= 100) this.#cpu = { at, usage };
    const workers = this.pool.workers;
    const stats = this.pool.stats;
    const state = this.#state === 'running' ? 'running' : this.#state;
    return {
      name: null,
      kind: 'work',
      pid: process.pid,
      state,
      startedAt: this.#startedAt,
      uptime: now - this.#startedAt,
      ready: workers.filter((w) => w.state === 'idle' || w.state === 'busy').length,
      wanted: this.pool.options.maxWorkers,
      restarts: Math.max(0, this.#created - this.#planned),
      queue: this.queue.name,
      tasks: this.info.tasks,
      runtime: this.info.runtime,
      reloads: { ...this.#reloads },
      process: {
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        cpu,
        cpuSeconds: (usage.user + usage.system) / 1e6,
      },
      jobs: { active: stats.running + stats.queued, completed: stats.completed, failed: stats.failed },
      workers: workers.map((w) => ({
        id: w.id,
        pid: w.pid,
        state: w.state,
        tasks: w.tasks,
        job: w.running[0] ? { id: w.running[0].label, name: w.running[0].name, since: w.running[0].since } : null,
      })),
    };
  }

  async reload(): Promise<PoolReloadResult> {
    try {
      const result = await this.pool.reload();
      this.#reloads.ok++;
      return result;
    } catch (err) {
      if (this.pool.state === 'running') this.#reloads.failed++;
      throw err;
    }
  }

  scale(workers: number | 'auto'): Promise<PoolScaleResult> {
    return this.pool.scale(workers);
  }

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
