// The metric sources of this process: every Pool and JobQueue registers one
// while it runs. The set lives on globalThis under a registered symbol, so
// that every copy of spindle in a process (an app bundling its own, a
// dependency's) shows up in the one answer a supervised worker gives.
import { type MetricFamily, merge } from './metrics.js';

/** Something that has metrics: a pool or a queue. */
export interface MetricSource {
  readonly kind: 'pool' | 'queue';
  /** The `pool` or `queue` label. */
  readonly name: string;
  collect(): MetricFamily[] | Promise<MetricFamily[]>;
}

const KEY = Symbol.for('spindle.metrics.sources');

function sources(): Set<MetricSource> {
  const g = globalThis as Record<symbol, Set<MetricSource> | undefined>;
  g[KEY] ??= new Set();
  return g[KEY];
}

/** Registers a source; returns a function that removes it. */
export function addSource(source: MetricSource): () => void {
  const set = sources();
  set.add(source);
  return () => void set.delete(source);
}

/** Every live source of this process. */
export function allSources(): MetricSource[] {
  return [...sources()];
}

/** The families of every pool and queue of this process, merged (sources of one name sum). */
export async function collectSources(list: readonly MetricSource[] = allSources()): Promise<MetricFamily[]> {
  return merge(...(await Promise.all(list.map((s) => s.collect()))));
}
