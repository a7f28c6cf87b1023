import type { Redis } from 'ioredis';
import type { ChangeFeed, ChangeNotice } from '../../ports/change-feed.js';

export interface RedisChangeFeedOptions {
  /** The caller's connections: close() leaves them open. */
  publisher: Redis;
  /** A connection of its own: a subscribed connection can do nothing else. */
  subscriber: Redis;
  channel: string;
}

/**
 * Change notices over Redis pub/sub: one PUBLISH of a JSON array per publish() call (a fold
 * batch), delivered at most once to every subscribed process.
 */
export function createRedisChangeFeed(options: RedisChangeFeedOptions): ChangeFeed {
  const { publisher, subscriber, channel } = options;
  const listeners = new Set<(notice: ChangeNotice) => void>();
  let subscribed: Promise<unknown> | null = null;

  const onMessage = (from: string, message: string) => {
    if (from !== channel) return;
    let notices: unknown;
    try {
      notices = JSON.parse(message);
    } catch {
      return;
    }
    if (!Array.isArray(notices)) return;
    for (const notice of notices as ChangeNotice[])
      for (const listener of listeners) listener(notice);
  };

  async function release(): Promise<void> {
    if (!subscribed) return;
    subscribed = null;
    subscriber.off('message', onMessage);
    await subscriber.unsubscribe(channel);
  }

  return {
    async publish(notices: ChangeNotice[]): Promise<void> {
      if (notices.length > 0) await publisher.publish(channel, JSON.stringify(notices));
    },

    async subscribe(listener: (notice: ChangeNotice) => void): Promise<() => Promise<void>> {
      listeners.add(listener);
      if (!subscribed) {
        subscriber.on('message', onMessage);
        subscribed = subscriber.subscribe(channel);
      }
      await subscribed;
      return async () => {
        listeners.delete(listener);
        if (listeners.size === 0) await release();
      };
    },

    async close(): Promise<void> {
      listeners.clear();
      await release();
    },
  };
}
