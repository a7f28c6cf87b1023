// Graceful shutdown of the service's processes on SIGTERM: `npm start` closes its subscriptions
// with "going away" (1001) and exits 0; a fold consumer stopped while the stream still arrives
// drains, commits and exits 0, and after a restart no event is lost or counted twice.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import { CompressionTypes } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisLiveWindows } from '../../src/adapters/redis/live-windows.js';
import { aggregateValue } from '../../src/live/compute.js';
import { WatchLiveDocument, type WatchLiveSubscription } from '../generated/graphql.js';
import { apiClient, collect, issueApiKeys, operation } from '../support/clients.js';
import { freshName, freshTopic, testEnv, testKafka, waitFor } from '../support/services.js';
import { killAll, spawnService, startService } from '../support/service-process.js';
import { scrape } from './prometheus.js';

/** Child processes compile with tsx at start and join Kafka groups: slow on a loaded 2-core box. */
const PROCESS_TEST_MS = 120_000;
const dirs: string[] = [];
afterAll(async () => {
  killAll();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('SIGTERM', () => {
  it(
    'closes the subscriptions of `npm start` with 1001 (going away) and exits 0',
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'pulsegraph-shutdown-'));
      dirs.push(dataDir);
      const { keys, API_KEYS } = issueApiKeys(['bye']);
      const service = await startService(dataDir, { API_KEYS });
      const { url } = service;
      const client = apiClient(url, keys.bye!);
      const ws = client.ws();
      const closes: number[] = [];
      ws.on('closed', (event) => closes.push((event as { code: number }).code));
      const sse = client.sse();
      const request = operation(WatchLiveDocument, { metric: { event: 'anything' } });
      const overWs = collect<WatchLiveSubscription>((sink) => ws.subscribe(request, sink));
      const overSse = collect<WatchLiveSubscription>((sink) => sse.subscribe(request, sink));
      try {
        await waitFor(() => overWs.results.length > 0 && overSse.results.length > 0, {
          message: 'both subscriptions to start',
        });

        const stopping = performance.now();
        expect(await service.stop('SIGTERM')).toBe(0);
        expect(performance.now() - stopping).toBeLessThan(10_000);
        await waitFor(
          () =>
            (overWs.error !== undefined || overWs.completed) &&
            (overSse.error !== undefined || overSse.completed),
          { message: 'both subscriptions to end' },
        );
        expect(closes).toEqual([1001]);
        expect((overWs.error as { code?: number }).code).toBe(1001);
        expect(service.lines().map((l) => l.msg)).toEqual(
          expect.arrayContaining(['shutting down', 'stopped']),
        );
      } finally {
        overWs.dispose();
        overSse.dispose();
        await Promise.all([ws.dispose(), sse.dispose()]);
      }
    },
    PROCESS_TEST_MS,
  );

  it(
    'drains a fold consumer mid-stream: exit 0, and nothing lost or doubled after a restart',
    async () => {
      const services = testEnv();
      const topic = await freshTopic('drain', 4);
      const tenant = `drain-${randomBytes(3).toString('hex')}`;
      const prefix = `${services.REDIS_PREFIX}.${topic.split('.').at(-1)}`;
      const env = {
        ...services,
        REDIS_PREFIX: prefix,
        INGEST_TOPICS: topic,
        DEAD_LETTER_TOPIC: `${topic}.dlq`,
        CONSUMER_GROUP: freshName('drain-group'),
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        API_KEYS: issueApiKeys([tenant]).API_KEYS,
        METRICS_PORT: '0',
        SERVER_HOST: '127.0.0.1',
      };

      // 60 000 events in JSON arrays of 50, over the last 20 minutes, four countries.
      const now = Date.now();
      const COUNTRIES = ['de', 'fr', 'us', 'jp'];
      const TOTAL = 60_000;
      const truth = new Map<string, number>();
      const messages = Array.from({ length: TOTAL / 50 }, (_, m) => {
        const events = Array.from({ length: 50 }, (_, j) => {
          const i = m * 50 + j;
          const country = COUNTRIES[i % COUNTRIES.length]!;
          truth.set(country, (truth.get(country) ?? 0) + 1);
          return {
            id: `d${i}`,
            name: 'view',
            timestamp: new Date(now - 1000 - ((i * 7919) % (20 * 60_000))).toISOString(),
            userId: `u${i % 500}`,
            dimensions: { country },
          };
        });
        return { key: `k${m % 64}`, value: JSON.stringify(events), headers: { tenant } };
      });

      const first = spawnService('consumers/fold.ts', env);
      const origin = String((await first.line('metrics, health and readiness on')).url);
      // The stream starts once the consumer holds its partitions, so it is still arriving when
      // the consumer has folded its first events.
      await waitFor(async () => (await fetch(`${origin}/ready`)).status === 200, {
        timeout: 30_000,
        message: 'the first consumer to hold its partitions',
      });

      // The stream arrives in 60 slices, a little apart (6 s at least), while the consumer folds.
      const producer = testKafka('drain-producer').producer();
      await producer.connect();
      let produced = 0;
      let drainMs = 0;
      const producing = (async () => {
        for (let slice = 0; slice < 60; slice++) {
          const part = messages.slice(slice * 20, slice * 20 + 20);
          await producer.send({ topic, messages: part, compression: CompressionTypes.None });
          produced += part.length * 50;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      try {
        await waitFor(
          async () => (await scrape(origin)).value('pulsegraph_fold_events_total') > 0,
          {
            timeout: 30_000,
            interval: 50,
            message: 'the first consumer to fold something',
          },
        );
        const producedAtStop = produced;
        const stopping = performance.now();
        expect(await first.stop('SIGTERM')).toBe(0);
        drainMs = performance.now() - stopping;
        expect(drainMs, 'stopped within SHUTDOWN_TIMEOUT_MS').toBeLessThan(10_000);
        expect(producedAtStop, 'stopped while the stream was still arriving').toBeLessThan(TOTAL);
        expect(first.lines().map((l) => l.msg)).toEqual(
          expect.arrayContaining(['shutting down', 'stopped']),
        );
        await producing;
      } finally {
        await producer.disconnect();
      }

      const second = spawnService('consumers/fold.ts', env);
      await second.line('fold consumer started');
      const clickhouse = createClient({
        url: services.CLICKHOUSE_URL,
        database: services.CLICKHOUSE_DATABASE,
      });
      const redis = new Redis(services.REDIS_URL);
      try {
        const stored = async () => {
          const result = await clickhouse.query({
            query: `SELECT count() AS rows, uniqExact(id) AS ids FROM events WHERE tenant = '${tenant}'`,
            format: 'JSONEachRow',
          });
          const [row] = (await result.json()) as { rows: string; ids: string }[];
          return { rows: Number(row!.rows), ids: Number(row!.ids) };
        };
        await waitFor(async () => (await stored()).ids === TOTAL, {
          timeout: 60_000,
          interval: 250,
          message: 'history to hold every event after the restart',
        });
        expect(await stored()).toEqual({ rows: TOTAL, ids: TOTAL });

        const live = createRedisLiveWindows({ redis, prefix, horizonMs: 3_900_000 });
        const counts = await live.read({
          tenant,
          metric: { event: 'view', aggregate: 'COUNT', filter: [], groupBy: 'country' },
          fromMs: now - 25 * 60_000,
          toMs: now + 60_000,
          maxGroups: 50,
        });
        expect(
          Object.fromEntries(counts.map((s) => [s.group, aggregateValue(s, 'COUNT')])),
        ).toEqual(Object.fromEntries(truth));
        console.log(
          `[shutdown] the first consumer drained and exited in ${Math.round(drainMs)} ms`,
        );
      } finally {
        expect(await second.stop('SIGTERM')).toBe(0);
        await redis.quit();
        await clickhouse.close();
      }
    },
    PROCESS_TEST_MS,
  );
});
