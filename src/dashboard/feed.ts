// What the dashboard streams: once a second the source's one status snapshot
// and a history sample taken from it, plus the events the source reported
// since. One timer per feed, whatever the number of pages open; the history
// is kept from the start (not only while a page is open), so a page opened
// after a crash still shows it.
import { History, type HistoryEvent, type HistorySample, type WorkerReading } from './history.js';

/** What a feed reads: a long-lived object's status, turned into readings, and its events. */
export interface DashboardSource {
  /** 'start' (a cluster supervisor) or 'work' (a queue node). */
  readonly kind: 'start' | 'work';
  /** The one snapshot (JSON-safe): what `spindle status --json` and /status show. */
  status(): object;
  /** One reading per worker, from that snapshot. */
  readings(status: object): WorkerReading[];
  /** Calls `fn` for every event worth a mark; returns a function that stops it. */
  subscribe(fn: (e: HistoryEvent) => void): () => void;
}

/** One tick: what every open page receives about once a second. */
export interface FeedTick {
  status: object;
  sample: HistorySample;
  /** Events since the previous tick, oldest first. */
  events: HistoryEvent[];
}

export interface FeedOptions {
  /** ms between samples (default 1000). */
  interval?: number;
  /** samples kept (default 900: 15 minutes at one a second). */
  capacity?: number;
  /** the clock (tests) */
  now?: () => number;
}

export class Feed {
  readonly history: History;
  readonly interval: number;
  #source: DashboardSource;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: () => void;
  #pending: HistoryEvent[] = [];
  #listeners = new Map<(tick: FeedTick) => void, () => void>();
  #now: () => number;
  #last: FeedTick | undefined;

  constructor(source: DashboardSource, options: FeedOptions = {}) {
    this.#source = source;
    this.interval = options.interval ?? 1000;
    this.#now = options.now ?? Date.now;
    this.history = new History(options.capacity ?? 900);
    this.#unsubscribe = source.subscribe((e) => {
      this.history.event(e);
      this.#pending.push(e);
    });
    this.tick();
    // unref'd: the feed never keeps its process alive
    this.#timer = setInterval(() => this.tick(), this.interval).unref();
  }

  get kind(): 'start' | 'work' {
    return this.#source.kind;
  }

  /** Takes a sample now and sends it to every listener (the timer calls it; tests may too). */
  tick(): FeedTick {
    const status = this.#source.status();
    const sample = this.history.sample(this.#now(), this.#source.readings(status));
    const tick: FeedTick = { status, sample, events: this.#pending };
    this.#pending = [];
    this.#last = tick;
    for (const fn of this.#listeners.keys()) fn(tick);
    return tick;
  }

  /** The latest tick (there is always one: the feed takes a sample when it starts). */
  get last(): FeedTick {
    return this.#last!;
  }

  /** Calls `fn` on every tick, and `end` when the feed closes; returns a function that stops both. */
  listen(fn: (tick: FeedTick) => void, end: () => void = () => {}): () => void {
    this.#listeners.set(fn, end);
    return () => void this.#listeners.delete(fn);
  }

  /** How many listeners (open pages) there are. */
  get listeners(): number {
    return this.#listeners.size;
  }

  /** Takes a last sample (the source's final state), ends every listener, stops sampling. Idempotent. */
  close(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.tick();
    this.#unsubscribe();
    this.#unsubscribe = () => {};
    const ends = [...this.#listeners.values()];
    this.#listeners.clear();
    for (const end of ends) end();
  }
}
