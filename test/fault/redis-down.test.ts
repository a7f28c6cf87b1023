// Stops the fold's Redis in the middle of a stream and starts it again: the consumer process waits
// (alive, logging that it waits, still a member of its group) while events keep arriving, then
// catches up; the live windows and history end exactly equal to the ground truth.
import { createClient } from '@clickhouse/client';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import {
  createPrivateDatabase,
  startPrivateRedis,
  type PrivateDatabase,
  type PrivateService,
} from '../support/private-services.js';
import { freshTopic, testEnv, testKafka } from '../support/services.js';
import {
  createConsumerProcesses,
  expectCleanStop,
  foldSettings,
  groupMembers,
} from './support/consumer-process.js';
import { foldThroughOutage } from './support/outage.js';
import {
  createStream,
  createStreamProducer,
  expectStoresEqualTruth,
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
      await foldThroughOutage({
        consumer,
        producer,
        rows: () => historyRows(clickhouse, database, topic),
        members,
        service: redis,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
      });
      await expectStoresEqualTruth(
        { redisUrl: redis.url, prefix: settings.REDIS_PREFIX!, client: clickhouse, database },
        stream,
      );
      expect(await historyRows(clickhouse, database, topic)).toBe(stream.total);
      expect(consumer.alive()).toBe(true);
      await expectCleanStop(consumer);
    } finally {
      await producer.close();
      await admin.disconnect();
      await clickhouse.close();
    }
  }, 180_000);
});
