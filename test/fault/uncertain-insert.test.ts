// ClickHouse executes inserts whose responses never reach the fold (a proxy drops them and resets
// the connection), and the fold's questions about what the store holds fail the same way for a
// while: the fold must not write those rows again. History ends exactly equal to the ground truth.
import { createClient } from '@clickhouse/client';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { createPrivateDatabase, type PrivateDatabase } from '../support/private-services.js';
import { freshTopic, testEnv, waitFor } from '../support/services.js';
import {
  createConsumerProcesses,
  expectCleanStop,
  foldSettings,
} from './support/consumer-process.js';
import { startCuttingProxy, type CuttingProxy } from './support/cutting-proxy.js';
import {
  createStream,
  createStreamProducer,
  expectStoresEqualTruth,
  historyRows,
} from './support/stream.js';

let proxy: CuttingProxy | undefined;
let consumers: ReturnType<typeof createConsumerProcesses> | undefined;
let ownDatabase: PrivateDatabase | undefined;

afterAll(async () => {
  consumers?.killAll();
  await proxy?.close();
  await ownDatabase?.drop();
});

describe('fold when inserts land but their responses are lost', () => {
  it('asks the store what it holds before writing again: nothing doubled', async () => {
    const services = testEnv();
    ownDatabase = await createPrivateDatabase('uncertain_insert');
    const { database } = ownDatabase;
    proxy = await startCuttingProxy(services.CLICKHOUSE_URL);
    const topic = await freshTopic('uncertain-insert', 4);
    const settings = foldSettings(topic, {
      CLICKHOUSE_URL: proxy.url,
      CLICKHOUSE_DATABASE: database,
    });
    consumers = createConsumerProcesses(settings);
    const stream = createStream({ eventsPerTenant: 20_000, seed: 41 });
    const producer = await createStreamProducer(topic, stream);
    const client = createClient({
      url: services.CLICKHOUSE_URL,
      database,
    });
    const rows = () => historyRows(client, database, topic);
    try {
      const consumer = await consumers.start();
      onTestFailed(() => console.log(`consumer output:\n${consumer.output().slice(-20_000)}`));
      await producer.send(0.3, 100);
      await waitFor(async () => (await rows()) > 0, {
        timeout: 30_000,
        message: 'folding before the cut',
      });

      // Read first: every cut insert begins after this and lands after it.
      const rowsAtCut = await rows();
      proxy.cutting = true;
      const sending = producer.send(0.4, 100);
      // Inserts executed without the fold hearing so, then its offset questions lost as well.
      await waitFor(() => proxy!.cut.inserts >= 1 && proxy!.cut.others >= 2, {
        timeout: 30_000,
        message: `an insert and then offset reads cut (${JSON.stringify(proxy.cut)})`,
      });
      expect(await rows(), 'rows that landed while every answer was lost').toBeGreaterThan(
        rowsAtCut,
      );
      proxy.cutting = false;
      await sending;
      await producer.finish(100);

      await expectStoresEqualTruth(
        { redisUrl: services.REDIS_URL, prefix: settings.REDIS_PREFIX!, client, database },
        stream,
      );
      expect(await rows()).toBe(stream.total);
      await expectCleanStop(consumer);
    } finally {
      await producer.close();
      await client.close();
    }
  }, 180_000);
});
