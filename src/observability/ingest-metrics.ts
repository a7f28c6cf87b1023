import { Counter, type Registry } from 'prom-client';
import type { Ingestor } from '../app/services.js';

/** The same ingestor, counting the events it accepted and rejected (API-side validation). */
export function countIngest(ingestor: Ingestor, registry: Registry): Ingestor {
  const events = new Counter({
    name: 'pulsegraph_ingest_events_total',
    help: 'Events received by the ingest mutation: accepted (written to the log) or rejected (invalid).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  return {
    async ingest(tenant, inputs) {
      const result = await ingestor.ingest(tenant, inputs);
      events.inc({ outcome: 'accepted' }, result.accepted);
      events.inc({ outcome: 'rejected' }, result.rejected.length);
      return result;
    },
  };
}
