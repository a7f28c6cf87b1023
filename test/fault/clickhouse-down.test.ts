// Stops the fold's ClickHouse (SIGTERM) in the middle of a stream, while inserts are under way, and
// starts it again: the consumer process waits (alive, logging that it waits, still a member of its
// group) while events keep arriving, then catches up; live windows and history end exactly equal
// to the ground truth.
import { createClient } from '@clickhouse/client';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { startPrivateClickHouse, type PrivateService } from '../support/private-services.js';
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
      await foldThroughOutage({
        consumer,
        producer,
        rows,
        members,
        service: clickhouse,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        step: 'history',
      });
      await expectStoresEqualTruth(
        {
          redisUrl: testEnv().REDIS_URL,
          prefix: settings.REDIS_PREFIX!,
          client,
          database: DATABASE,
        },
        stream,
      );
      expect(await rows()).toBe(stream.total);
      expect(consumer.alive()).toBe(true);
      await expectCleanStop(consumer);
    } finally {
      await producer.close();
      await admin.disconnect();
      await client.close();
    }
  }, 180_000);
});
