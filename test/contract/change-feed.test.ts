import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createMemoryChangeFeed } from '../../src/adapters/memory/change-feed.js';
import { createRedisChangeFeed } from '../../src/adapters/redis/change-feed.js';
import { waitFor } from '../support/services.js';
import { describeChangeFeedContract } from './change-feed.contract.js';

const redisUrl = () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const freshChannel = () =>
  `${process.env.REDIS_PREFIX ?? 'test'}.changes.${randomBytes(4).toString('hex')}`;
const connect = () => new Redis(redisUrl(), { maxRetriesPerRequest: 1 });

const channel = freshChannel();

describeChangeFeedContract('redis', async () => {
  // Two processes' worth: the fold publishes on its feed, an API process subscribes on its own.
  const connections = [connect(), connect(), connect(), connect()] as const;
  const [pubA, subA, pubB, subB] = connections;
  const publishing = createRedisChangeFeed({ publisher: pubA, subscriber: subA, channel });
  const subscribing = createRedisChangeFeed({ publisher: pubB, subscriber: subB, channel });
  return {
    publishing,
    subscribing,
    async cleanup() {
      await Promise.all([publishing.close(), subscribing.close()]);
      await Promise.all(connections.map((c) => c.quit()));
    },
  };
});

describeChangeFeedContract('memory', async () => {
  const feed = createMemoryChangeFeed();
  return { publishing: feed, subscribing: feed, cleanup: () => feed.close() };
});

describe('redis change feed: wire', () => {
  it('sends one PUBLISH of a JSON array per publish call, on its channel only', async () => {
    const wire = freshChannel();
    const [publisher, subscriber, raw] = [connect(), connect(), connect()];
    const feed = createRedisChangeFeed({ publisher, subscriber, channel: wire });
    try {
      const messages: string[] = [];
      raw.on('message', (_channel: string, message: string) => messages.push(message));
      await raw.subscribe(wire);
      const notices = [1, 2, 3].map((n) => ({ tenant: 't', event: 'e', fromSec: n, toSec: n + 1 }));
      await feed.publish(notices);
      await waitFor(() => messages.length === 1, { timeout: 5000 });
      expect(JSON.parse(messages[0]!)).toEqual(notices);

      const seen: unknown[] = [];
      await feed.subscribe((n) => seen.push(n));
      await publisher.publish(wire, 'not json');
      await publisher.publish(`${wire}.other`, JSON.stringify(notices));
      await feed.publish(notices.slice(0, 1));
      await waitFor(() => seen.length >= 1, { timeout: 5000 });
      expect(seen).toEqual(notices.slice(0, 1));
    } finally {
      await feed.close();
      await Promise.all([publisher.quit(), subscriber.quit(), raw.quit()]);
    }
  });
});
