import type { AnalyticsEvent } from '../events/event.js';
import type { LookupTable, ReferenceStore } from '../ports/reference-data.js';

export interface Enricher {
  /** Reloads the lookup tables when they changed since the last call: one cheap check per batch. */
  refresh(): Promise<void>;
  /** Adds the lookup values to the event's dimensions; the event's own dimensions win. */
  enrich(event: AnalyticsEvent): void;
}

export function createEnricher(reference: ReferenceStore): Enricher {
  let version: string | undefined;
  let tables = new Map<string, LookupTable[]>();
  return {
    async refresh() {
      const current = await reference.version();
      if (current === version) return;
      tables = await reference.lookups();
      version = current;
    },
    enrich(event) {
      const tenantTables = tables.get(event.tenant);
      if (!tenantTables) return;
      for (const table of tenantTables) {
        const key = event.dimensions[table.keyDimension];
        const extra = key === undefined ? undefined : table.rows.get(key);
        if (!extra) continue;
        for (const [name, value] of Object.entries(extra)) event.dimensions[name] ??= value;
      }
    },
  };
}
