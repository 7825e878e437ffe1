// spindle's own keys in Redis (groups, slots, rate-limit logs, remembered
// jobIds): the scripts of ./lua.ts on the queue's Redis connection, and the
// shape of what they answer.
import { SCRIPTS, type ScriptName } from './lua.js';

/** The part of an ioredis client this file uses. */
export interface ScriptClient {
  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void;
}

/** A group job as spindle holds it before BullMQ does: what to hand BullMQ. */
export interface HeldJob {
  name: string;
  data: Record<string, unknown>;
  opts: Record<string, unknown>;
  /** a failed job retried: BullMQ retries it in place instead of adding it */
  retry?: true;
}

/** What an admission answers: jobs whose group's turn came, and when to look again. */
export interface Admitted {
  /** ms since the epoch when a delayed group job or a limited group is due, or 0 */
  wake: number;
  jobs: { id: string; held: HeldJob | null }[];
}

/** How many group jobs one admission hands over at most (one addBulk). */
export const ADMIT_BATCH = 200;

const defined = new WeakSet<object>();

export class SpindleKeys {
  readonly prefix: string;
  readonly #client: Record<string, (...args: unknown[]) => Promise<unknown>>;

  constructor(client: ScriptClient, queue: string) {
    // the hash tag keeps every key of one queue in one slot of a Redis Cluster
    this.prefix = `spindle:{${queue}}:`;
    if (!defined.has(client)) {
      for (const [name, lua] of Object.entries(SCRIPTS)) client.defineCommand(name, { numberOfKeys: 1, lua });
      defined.add(client);
    }
    this.#client = client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  }

  /** Runs script `name` with the prefix as ARGV[1] (and `config` as its one key). */
  call(name: ScriptName, ...args: (string | number)[]): Promise<unknown> {
    return this.#client[name]!(`${this.prefix}config`, this.prefix, ...args);
  }

  /** Reads the {wake, id, json, ...} list admit() returns, from `from`. */
  static admitted(reply: unknown, from = 0): Admitted {
    const r = reply as (string | number)[];
    const jobs: Admitted['jobs'] = [];
    for (let i = from + 1; i + 1 < r.length; i += 2) {
      const json = String(r[i + 1]);
      jobs.push({ id: String(r[i]), held: json === '' ? null : (JSON.parse(json) as HeldJob) });
    }
    return { wake: Number(r[from]) || 0, jobs };
  }
}
