// Prometheus metrics: one registry per process, shared by the services it runs
// (the demo runs them all in one process and serves them on the API's /metrics).
import { Registry, collectDefaultMetrics } from 'prom-client';

export { Registry };
export { Counter, Gauge, Histogram } from 'prom-client';

export function createRegistry({ processMetrics = true }: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry, prefix: 'shaobing_' });
  return registry;
}

/** Returns the metric already registered under `name`, or registers the one `create` makes. */
export function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}
