// Stops the fold's Redis in the middle of a stream and starts it again: the consumer process waits
// (alive, logging that it waits, still a member of its group) while events keep arriving, then
// catches up; the live windows and history end exactly equal to the ground truth.
import { createClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { createClickHouseHistory } from '../../src/adapters/clickhouse/history.js';
import { createRedisLiveWindows } from '../../src/adapters/redis/live-windows.js';
import {
  createPrivateDatabase,
  startPrivateRedis,
  type PrivateDatabase,
  type PrivateService,
} from '../support/private-services.js';
import { freshTopic, testEnv, testKafka, waitFor } from '../support/services.js';
import {
  createConsumerProcesses,
  expectWaiting,
  foldSettings,
  groupMembers,
} from './support/consumer-process.js';
import {
  createStream,
  createStreamProducer,
  expectGroundTruth,
  historyRows,
} from './support/stream.js';

const SESSION_TIMEOUT_MS = 6000;

let redis: PrivateService | undefined;
let consumers: ReturnType<typeof createConsumerProcesses> | undefined;
let ownDatabase: PrivateDatabase | undefined;

afterAll(async () => {
  consumers?.killAll();
  await redis?.remove();
  await ownDatabase?.drop();
});

describe('fold while Redis is down', () => {
  it('waits through the outage and ends with the exact ground truth', async () => {
    const services = testEnv();
    ownDatabase = await createPrivateDatabase('redis_down');
    const { database } = ownDatabase;
    redis = await startPrivateRedis();
    const topic = await freshTopic('redis-down', 4);
    const settings = foldSettings(topic, {
      REDIS_URL: redis.url,
      CLICKHOUSE_DATABASE: database,
      KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
    });
    consumers = createConsumerProcesses(settings);
    const stream = createStream({ eventsPerTenant: 20_000, seed: 21 });
    const producer = await createStreamProducer(topic, stream);
    const clickhouse = createClient({
      url: services.CLICKHOUSE_URL,
      database,
    });
    const admin = testKafka('redis-down-admin').admin();
    await admin.connect();
    const members = () => groupMembers(admin, settings.CONSUMER_GROUP!);
    try {
      const consumer = await consumers.start();
      onTestFailed(() => console.log(`consumer output:\n${consumer.output().slice(-20_000)}`));
      await producer.send(0.3, 100);
      await waitFor(async () => (await historyRows(clickhouse, database, topic)) > 0, {
        timeout: 30_000,
        message: 'folding before the outage',
      });
      const membersBefore = await members();
      expect(membersBefore).toHaveLength(1);

      // Stopped while the next part of the stream arrives and is being folded; more arrives
      // while it is away.
      const sending = producer.send(0.2, 100);
      await redis.stop();
      const stoppedAt = Date.now();
      await sending;
      await producer.send(0.2, 100);
      await expectWaiting(consumer, {
        since: stoppedAt,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
      });
      // Longer than a session timeout: only heartbeats during the wait kept the membership.
      expect(await members(), 'the same member').toEqual(membersBefore);

      await redis.start();
      await producer.finish(100);

      const reader = new Redis(redis.url);
      try {
        await expectGroundTruth(
          {
            live: createRedisLiveWindows({
              redis: reader,
              prefix: settings.REDIS_PREFIX!,
              horizonMs: 3_900_000,
            }),
            history: createClickHouseHistory({
              client: clickhouse,
              database,
            }),
          },
          stream,
          90_000,
        );
      } finally {
        await reader.quit();
      }
      expect(await historyRows(clickhouse, database, topic)).toBe(stream.total);
      expect(consumer.alive()).toBe(true);
      expect(consumer.logs('kafka: consumer stopped by an error')).toEqual([]);

      consumer.child.kill('SIGTERM');
      expect((await consumer.exited).code).toBe(0);
    } finally {
      await producer.close();
      await admin.disconnect();
      await clickhouse.close();
    }
  }, 180_000);
});
