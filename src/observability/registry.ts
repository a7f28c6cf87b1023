import { collectDefaultMetrics, Registry } from 'prom-client';

/** The metrics of one process: what its parts register, and Node's process metrics (CPU, memory, event loop, GC). */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
