import type { ApiServices } from '../app/services.js';
import type { LiveWindowStore, WindowStats } from '../ports/live-windows.js';
import { metricKey } from './inputs.js';

/**
 * `services.live` with identical reads in flight at the same time sharing one store read: clients
 * asking the same metric in the same second (a dashboard's viewers, a burst of queries) cost one
 * round trip and one decoding. A read asked after the shared one finished is a read of its own,
 * so no answer is older than the read already under way when it was asked. The stats are shared
 * between the callers: they are read, never changed. The store is looked up at every call, so a
 * store replaced in `services` is the one used.
 */
export function shareLiveReads(services: Pick<ApiServices, 'live'>): LiveWindowStore {
  const inFlight = new Map<string, Promise<WindowStats[]>>();
  return {
    get horizonMs() {
      return services.live.horizonMs;
    },
    read(request) {
      const key = JSON.stringify([
        request.tenant,
        metricKey(request.metric),
        request.fromMs,
        request.toMs,
        request.maxGroups,
      ]);
      let read = inFlight.get(key);
      if (!read) {
        read = services.live.read(request).finally(() => inFlight.delete(key));
        inFlight.set(key, read);
      }
      return read;
    },
    apply: (request) => services.live.apply(request),
    applyMerged: (request) => services.live.applyMerged(request),
    setFloor: (partition, offset) => services.live.setFloor(partition, offset),
    floors: (partitions) => services.live.floors(partitions),
    close: () => services.live.close(),
  };
}
