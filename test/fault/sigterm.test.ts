// SIGTERM to a fold consumer in the middle of a stream: it drains the batches in progress, commits
// them and exits 0 within SHUTDOWN_TIMEOUT_MS. What the group committed is exactly what the fold
// says it applied (progress, live floors, history offsets); a new consumer takes over from there
// and the totals end exactly equal to the ground truth.
import { createClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { createClickHouseHistory } from '../../src/adapters/clickhouse/history.js';
import { createRedisFoldProgress } from '../../src/adapters/redis/fold-progress.js';
import { createRedisLiveWindows } from '../../src/adapters/redis/live-windows.js';
import { createPrivateDatabase, type PrivateDatabase } from '../support/private-services.js';
import { freshTopic, testEnv, testKafka, waitFor } from '../support/services.js';
import { createConsumerProcesses, foldSettings } from './support/consumer-process.js';
import {
  createStream,
  createStreamProducer,
  expectGroundTruth,
  historyRows,
} from './support/stream.js';

const SHUTDOWN_TIMEOUT_MS = 10_000;
const PARTITIONS = 4;

let consumers: ReturnType<typeof createConsumerProcesses> | undefined;
let ownDatabase: PrivateDatabase | undefined;

afterAll(async () => {
  consumers?.killAll();
  await ownDatabase?.drop();
});

describe('fold consumer under SIGTERM', () => {
  it('drains, commits what it applied, exits 0, and a restart ends exact', async () => {
    const services = testEnv();
    ownDatabase = await createPrivateDatabase('sigterm');
    const { database } = ownDatabase;
    const topic = await freshTopic('sigterm', PARTITIONS);
    const settings = foldSettings(topic, {
      CLICKHOUSE_DATABASE: database,
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
    consumers = createConsumerProcesses(settings);
    const stream = createStream({ eventsPerTenant: 20_000, seed: 51 });
    const producer = await createStreamProducer(topic, stream);
    const clickhouse = createClient({
      url: services.CLICKHOUSE_URL,
      database,
    });
    const rows = () => historyRows(clickhouse, database, topic);
    const redis = new Redis(services.REDIS_URL);
    const live = createRedisLiveWindows({
      redis,
      prefix: settings.REDIS_PREFIX!,
      horizonMs: 3_900_000,
    });
    const history = createClickHouseHistory({
      client: clickhouse,
      database,
    });
    const admin = testKafka('sigterm-admin').admin();
    await admin.connect();
    try {
      const first = await consumers.start();
      onTestFailed(() => console.log(`first consumer output:\n${first.output().slice(-20_000)}`));
      // SIGTERM while the stream is still arriving and being folded.
      const sending = producer.send(0.6, 100);
      await waitFor(async () => (await rows()) > stream.total / 10, {
        timeout: 60_000,
        message: 'folding before SIGTERM',
      });
      const signalled = Date.now();
      first.child.kill('SIGTERM');
      const { code } = await first.exited;
      const tookMs = Date.now() - signalled;
      expect(code, first.output().slice(-3000)).toBe(0);
      expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
      expect(first.logs('stopped')).toHaveLength(1);
      await sending;
      const folded = await rows();
      expect(folded, 'stopped mid-stream').toBeLessThan(stream.total);

      // The last batch of each partition was committed: the group's offsets are exactly one past
      // what the fold recorded as applied, which the live windows hold too. (History's offsets
      // are those of its last rows: a repeated id at a batch's end writes no row.)
      const partitions = Array.from({ length: PARTITIONS }, (_, partition) => ({
        topic,
        partition,
      }));
      const progress = await createRedisFoldProgress({
        redis,
        prefix: settings.REDIS_PREFIX!,
      }).read([topic]);
      const applied = partitions.map(
        (p) => progress.find((q) => q.partition === p.partition)?.offset ?? -1,
      );
      const [committed] = await admin.fetchOffsets({
        groupId: settings.CONSUMER_GROUP!,
        topics: [topic],
      });
      expect(
        partitions.map(
          (p) => Number(committed!.partitions.find((q) => q.partition === p.partition)!.offset) - 1,
        ),
        'committed offsets - 1',
      ).toEqual(applied);
      expect(await live.floors(partitions), 'live floors').toEqual(applied);
      const historyOffsets = await history.offsets(partitions);
      historyOffsets.forEach((offset, i) =>
        expect(offset, `history offset of partition ${i}`).toBeLessThanOrEqual(applied[i]!),
      );
      expect(applied.reduce((n, offset) => n + offset + 1, 0)).toBeGreaterThan(0);

      const second = await consumers.start();
      onTestFailed(() => console.log(`second consumer output:\n${second.output().slice(-20_000)}`));
      await producer.finish(100);
      await expectGroundTruth({ live, history }, stream, 90_000);
      expect(await rows()).toBe(stream.total);

      second.child.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
    } finally {
      await producer.close();
      await admin.disconnect();
      await redis.quit();
      await clickhouse.close();
    }
  }, 180_000);
});
