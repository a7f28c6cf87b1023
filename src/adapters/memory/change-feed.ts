import { EventEmitter } from 'node:events';
import type { ChangeFeed, ChangeNotice } from '../../ports/change-feed.js';

/**
 * Change notices inside one process. Delivered on a later tick, as over Redis, so a listener never
 * runs inside the publisher's call.
 */
export function createMemoryChangeFeed(): ChangeFeed {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);

  return {
    async publish(notices: ChangeNotice[]): Promise<void> {
      if (notices.length === 0) return;
      const copies = notices.map((notice) => ({ ...notice }));
      setImmediate(() => {
        for (const notice of copies) emitter.emit('notice', notice);
      });
    },

    async subscribe(listener: (notice: ChangeNotice) => void): Promise<() => Promise<void>> {
      emitter.on('notice', listener);
      return async () => {
        emitter.off('notice', listener);
      };
    },

    async close(): Promise<void> {
      emitter.removeAllListeners();
    },
  };
}
