// Stops the fold's ClickHouse (SIGTERM) in the middle of a stream, while inserts are under way, and
// starts it again: the consumer process waits (alive, logging that it waits, still a member of its
// group) while events keep arriving, then catches up; live windows and history end exactly equal
// to the ground truth.
import { createClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { createClickHouseHistory } from '../../src/adapters/clickhouse/history.js';
import { createRedisLiveWindows } from '../../src/adapters/redis/live-windows.js';
import { startPrivateClickHouse, type PrivateService } from '../support/private-services.js';
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
const DATABASE = 'fault_history';

let clickhouse: PrivateService | undefined;
let consumers: ReturnType<typeof createConsumerProcesses> | undefined;

afterAll(async () => {
  consumers?.killAll();
  await clickhouse?.remove();
});

describe('fold while ClickHouse is down', () => {
  it('waits through the outage and ends with the exact ground truth', async () => {
    clickhouse = await startPrivateClickHouse(DATABASE);
    const topic = await freshTopic('clickhouse-down', 4);
    const settings = foldSettings(topic, {
      CLICKHOUSE_URL: clickhouse.url,
      CLICKHOUSE_DATABASE: DATABASE,
      KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
    });
    consumers = createConsumerProcesses(settings);
    const stream = createStream({ eventsPerTenant: 20_000, seed: 31 });
    const producer = await createStreamProducer(topic, stream);
    const client = createClient({ url: clickhouse.url, database: DATABASE });
    const rows = () => historyRows(client, DATABASE, topic);
    const admin = testKafka('clickhouse-down-admin').admin();
    await admin.connect();
    const members = () => groupMembers(admin, settings.CONSUMER_GROUP!);
    try {
      const consumer = await consumers.start();
      onTestFailed(() => console.log(`consumer output:\n${consumer.output().slice(-20_000)}`));
      await producer.send(0.3, 100);
      await waitFor(async () => (await rows()) > 0, {
        timeout: 30_000,
        message: 'folding before the outage',
      });
      const membersBefore = await members();
      expect(membersBefore).toHaveLength(1);

      // Stopped while the next part of the stream arrives and is being folded; more arrives
      // while it is away.
      const sending = producer.send(0.2, 100);
      await clickhouse.stop();
      const stoppedAt = Date.now();
      await sending;
      await producer.send(0.2, 100);
      await expectWaiting(consumer, {
        since: stoppedAt,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        step: 'history',
      });
      // Longer than a session timeout: only heartbeats during the wait kept the membership.
      expect(await members(), 'the same member').toEqual(membersBefore);

      await clickhouse.start();
      await producer.finish(100);

      const services = testEnv();
      const redis = new Redis(services.REDIS_URL);
      try {
        await expectGroundTruth(
          {
            live: createRedisLiveWindows({
              redis,
              prefix: settings.REDIS_PREFIX!,
              horizonMs: 3_900_000,
            }),
            history: createClickHouseHistory({ client, database: DATABASE }),
          },
          stream,
          90_000,
        );
      } finally {
        await redis.quit();
      }
      expect(await rows()).toBe(stream.total);
      expect(consumer.alive()).toBe(true);
      expect(consumer.logs('kafka: consumer stopped by an error')).toEqual([]);

      consumer.child.kill('SIGTERM');
      expect((await consumer.exited).code).toBe(0);
    } finally {
      await producer.close();
      await admin.disconnect();
      await client.close();
    }
  }, 180_000);
});
