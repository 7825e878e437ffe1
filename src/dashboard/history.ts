// The dashboard's memory: the last minutes of per-worker samples (one a
// second) and the events that happened meanwhile (reloads, crashes,
// restarts, scaling), so that a page opened now shows "what happened at
// 14:02" at once. Bounded by count whatever happens: `capacity` samples and
// MAX_EVENTS events, the oldest dropped first.

/** One worker in one sample. Absent values are null (a worker that has not reported yet). */
export interface WorkerPoint {
  /** Slot id (cluster) or pool worker id (`spindle work`). */
  id: number;
  pid: number | null;
  /** Resident memory, bytes. */
  rss: number | null;
  /** CPU over the last second, percent of one core. */
  cpu: number | null;
  /** Event-loop delay p99 over the last second, ms. */
  delay: number | null;
  /** Tasks (or jobs) finished per second since the previous sample; null where unknown. */
  rate: number | null;
}

/** Everything measured at one moment. */
export interface HistorySample {
  /** ms since the epoch */
  t: number;
  workers: WorkerPoint[];
}

/** What the chart marks on its time axis. */
export type HistoryEventKind =
  | 'reload'
  | 'reload-done'
  | 'reload-failed'
  | 'crash'
  | 'restart'
  | 'unhealthy'
  | 'scale'
  | 'stop';

export interface HistoryEvent {
  /** ms since the epoch */
  t: number;
  kind: HistoryEventKind;
  /** The worker it concerns, or null for the whole server. */
  worker: number | null;
  pid: number | null;
  /** For people: 'killed by SIGKILL', 'from 2 to 4 workers'. */
  detail: string;
}

/** A measurement before the rate is derived: `tasks` is the worker's running total (null where unknown). */
export type WorkerReading = Omit<WorkerPoint, 'rate'> & { tasks: number | null };

/** At most this many events are kept (a crash loop must not grow memory). */
export const MAX_EVENTS = 500;

/** Fields of one worker in a stored sample, in order; null is stored as NaN. */
const FIELDS = ['id', 'pid', 'rss', 'cpu', 'delay', 'rate'] as const;
const WIDTH = FIELDS.length;

/**
 * Samples are stored as one Float64Array each (six numbers per worker, NaN
 * for null) rather than as objects: a full history of 8 workers takes about
 * 0.5 MiB instead of about 3 (boxed numbers and object headers); they become
 * objects again only when a page asks for the history.
 */
function pack(s: HistorySample): { t: number; data: Float64Array } {
  const data = new Float64Array(s.workers.length * WIDTH);
  s.workers.forEach((w, i) => {
    for (let f = 0; f < WIDTH; f++) data[i * WIDTH + f] = w[FIELDS[f]!] ?? Number.NaN;
  });
  return { t: s.t, data };
}

function unpack({ t, data }: { t: number; data: Float64Array }): HistorySample {
  const workers: WorkerPoint[] = [];
  for (let i = 0; i < data.length; i += WIDTH) {
    const v = (f: number) => (Number.isNaN(data[i + f]!) ? null : data[i + f]!);
    workers.push({ id: data[i]!, pid: v(1), rss: v(2), cpu: v(3), delay: v(4), rate: v(5) });
  }
  return { t, workers };
}

export class History {
  readonly capacity: number;
  /** A ring: `#samples[(#start + i) % capacity]` is the i-th oldest. */
  #samples: { t: number; data: Float64Array }[] = [];
  #start = 0;
  #events: HistoryEvent[] = [];
  /** Each worker's previous total, to turn running totals into rates. */
  #totals = new Map<number, { pid: number | null; tasks: number; t: number }>();

  /** Keeps `capacity` samples (900: 15 minutes at one a second). */
  constructor(capacity = 900) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer`);
    this.capacity = capacity;
  }

  /** Records one moment; rates come from the difference with the previous total of the same process. */
  sample(t: number, readings: WorkerReading[]): HistorySample {
    const seen = new Set<number>();
    const workers = readings.map(({ tasks, ...r }) => {
      seen.add(r.id);
      const before = this.#totals.get(r.id);
      let rate: number | null = null;
      if (tasks !== null) {
        // A new process (reload, restart) starts its count again: no rate across it.
        if (before && before.pid === r.pid && tasks >= before.tasks && t > before.t)
          rate = ((tasks - before.tasks) * 1000) / (t - before.t);
        this.#totals.set(r.id, { pid: r.pid, tasks, t });
      } else this.#totals.delete(r.id);
      return { ...r, rate };
    });
    for (const id of this.#totals.keys()) if (!seen.has(id)) this.#totals.delete(id);
    const s: HistorySample = { t, workers };
    const packed = pack(s);
    if (this.#samples.length < this.capacity) this.#samples.push(packed);
    else {
      this.#samples[this.#start] = packed;
      this.#start = (this.#start + 1) % this.capacity;
    }
    return s;
  }

  /** Records an event. */
  event(e: HistoryEvent): void {
    this.#events.push(e);
    if (this.#events.length > MAX_EVENTS) this.#events.splice(0, this.#events.length - MAX_EVENTS);
  }

  /** Every sample, oldest first. */
  samples(): HistorySample[] {
    return [...this.#samples.slice(this.#start), ...this.#samples.slice(0, this.#start)].map(unpack);
  }

  /** The events within the samples' time span (or all while there are none), oldest first. */
  events(): HistoryEvent[] {
    const first = this.#samples[this.#start]?.t;
    return first === undefined ? [...this.#events] : this.#events.filter((e) => e.t >= first);
  }
}
