import { partitionKey } from '../../ports/event-log.js';
import type { HistoryHolds } from '../../ports/history-holds.js';

/** Holds of the one fold process of the embedded engines: nobody else can hold a partition. */
export function createMemoryHistoryHolds(): HistoryHolds {
  const held = new Set<string>();
  return {
    async hold(partitions) {
      for (const partition of partitions) held.add(partitionKey(partition));
    },
    async release(partitions) {
      for (const partition of partitions) held.delete(partitionKey(partition));
    },
    async anyHeld(partitions) {
      return partitions.some((partition) => held.has(partitionKey(partition)));
    },
    async close() {
      held.clear();
    },
  };
}
