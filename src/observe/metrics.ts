// Metrics as data, and their Prometheus text exposition (format 0.0.4).
// A family has prom-client's JSON shape (what `registry.getMetricsAsJSON()`
// returns), so spindle's own metrics and an app's prom-client metrics cross
// IPC the same way; rendering needs no prom-client.

/** One sample: a histogram's `_bucket`/`_sum`/`_count` samples name themselves in `metricName`. */
export interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** A metric family (prom-client's `getMetricsAsJSON()` shape). */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  values: Sample[];
  /** prom-client's aggregation mode (cluster aggregation of the app's metrics). */
  aggregator?: string;
}

/**
 * Histogram buckets of spindle's task and job durations, in seconds: from
 * 100 µs to 1 min (docs/observability.md). Durations above the last fall in
 * `+Inf` only.
 */
export const DURATION_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
const BUCKETS_MS = DURATION_BUCKETS.map((s) => s * 1000);

/** A histogram's counts, kept as plain numbers: observing is a loop over at most 18 bounds and two additions. */
export class Histogram {
  /** counts per bucket (not cumulative), then the overflow */
  readonly counts = new Array<number>(BUCKETS_MS.length + 1).fill(0);
  sum = 0;
  count = 0;

  /** Records a duration in milliseconds. */
  observe(ms: number): void {
    let i = 0;
    while (i < BUCKETS_MS.length && ms > BUCKETS_MS[i]!) i++;
    this.counts[i]!++;
    this.sum += ms;
    this.count++;
  }

  /** Adds another histogram's counts (pools of one name in one process). */
  add(other: Histogram): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.sum += other.sum;
    this.count += other.count;
  }

  /** The family's samples for `labels` (cumulative buckets, seconds). */
  samples(name: string, labels: Record<string, string | number>): Sample[] {
    const out: Sample[] = [];
    let cumulative = 0;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) {
      cumulative += this.counts[i]!;
      out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: DURATION_BUCKETS[i]! }, value: cumulative });
    }
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: this.count });
    out.push({ metricName: `${name}_sum`, labels, value: this.sum / 1000 });
    out.push({ metricName: `${name}_count`, labels, value: this.count });
    return out;
  }
}

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabel(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

function formatLabels(labels: Record<string, string | number>): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(String(labels[k]))}"`).join(',')}}`;
}

/** The text exposition of `families` (each name once; the caller merges). */
export function render(families: readonly MetricFamily[]): string {
  let out = '';
  for (const f of families) {
    if (f.values.length === 0) continue;
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.values) out += `${s.metricName ?? f.name}${formatLabels(s.labels)} ${formatValue(s.value)}\n`;
  }
  return out;
}

function sampleKey(s: Sample): string {
  const keys = Object.keys(s.labels).sort();
  return `${s.metricName ?? ''}|${keys.map((k) => `${k}=${String(s.labels[k])}`).join(',')}`;
}

/**
 * Merges families by name: samples with the same name and labels are
 * summed, others appended. For spindle's own families, whose samples of
 * different workers carry different `worker` labels, this only ever sums
 * the samples of one pool name in one process, or a dead process's last
 * counters into its slot's (both sums by meaning).
 */
export function merge(...lists: readonly (readonly MetricFamily[])[]): MetricFamily[] {
  const byName = new Map<string, { family: MetricFamily; index: Map<string, Sample> }>();
  for (const list of lists) {
    for (const f of list) {
      let entry = byName.get(f.name);
      if (!entry) {
        entry = { family: { name: f.name, help: f.help, type: f.type, values: [] }, index: new Map() };
        byName.set(f.name, entry);
      }
      for (const s of f.values) {
        const key = sampleKey(s);
        const existing = entry.index.get(key);
        if (existing) existing.value += s.value;
        else {
          const copy: Sample = { ...s, labels: { ...s.labels } };
          entry.family.values.push(copy);
          entry.index.set(key, copy);
        }
      }
    }
  }
  return [...byName.values()].map((e) => e.family);
}

/** Adds `labels` to every sample (the supervisor labels a worker's families with `worker`). */
export function label(families: readonly MetricFamily[], labels: Record<string, string | number>): MetricFamily[] {
  return families.map((f) => ({ ...f, values: f.values.map((s) => ({ ...s, labels: { ...s.labels, ...labels } })) }));
}

/** Only what accumulates (counters, histograms): a dead worker's part of a sum that must not go backwards. */
export function cumulative(families: readonly MetricFamily[]): MetricFamily[] {
  return families.filter((f) => f.type === 'counter' || f.type === 'histogram');
}
