// The app's own prom-client, found without loading it: the copy the app's
// script resolves, used only when the app has loaded it already (a worker
// answers with its default registry) or when a worker answered with app
// metrics (the supervisor aggregates them with that copy's
// AggregatorRegistry.aggregate). prom-client stays an optional peer: without
// it nothing here loads anything.
import { createRequire } from 'node:module';
import type { MetricFamily } from './metrics.js';

/** The part of prom-client spindle uses (15.x). */
export interface PromClient {
  register: { getMetricsAsJSON(): Promise<MetricFamily[]> | MetricFamily[]; contentType: string };
  AggregatorRegistry: {
    aggregate(metrics: MetricFamily[][]): {
      metrics(): Promise<string>;
      getMetricsAsJSON(): Promise<MetricFamily[]>;
    };
  };
  Registry: new () => unknown;
}

function resolveFrom(script: string): { path: string; require: NodeJS.Require } | undefined {
  try {
    const require = createRequire(script);
    return { path: require.resolve('prom-client'), require };
  } catch {
    return undefined; // not installed where the app is
  }
}

/** The app's prom-client if the app has loaded it (never loads it). */
export function loadedPromClient(script: string | undefined): PromClient | undefined {
  if (script === undefined) return undefined;
  const found = resolveFrom(script);
  if (!found?.require.cache[found.path]) return undefined;
  return found.require(found.path) as PromClient;
}

/** The app's prom-client, loaded (the supervisor, once a worker sent app metrics). */
export function appPromClient(script: string): PromClient | undefined {
  const found = resolveFrom(script);
  return found ? (found.require(found.path) as PromClient) : undefined;
}
