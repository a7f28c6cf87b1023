// /metrics, /health and /ready of the service's own processes, scraped over HTTP and parsed:
// `npm start` on the embedded engines (everything on the API's port), and a fold consumer alone
// on the real engines (on METRICS_PORT). The numbers move as events are ingested and folded.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompressionTypes } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  IngestDocument,
  LiveDocument,
  WatchLiveDocument,
  type WatchLiveSubscription,
} from '../generated/graphql.js';
import { apiClient, collect, issueApiKeys, operation } from '../support/clients.js';
import { freshName, freshTopic, testEnv, testKafka, waitFor } from '../support/services.js';
import { killAll, spawnService, startService } from '../support/service-process.js';
import { scrape, type Scrape } from './prometheus.js';

/** Child processes compile with tsx at start and join Kafka groups: slow on a loaded 2-core box. */
const PROCESS_TEST_MS = 120_000;
const dirs: string[] = [];
afterAll(async () => {
  killAll();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const getJson = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

/** Every counter and histogram count of a scrape, to compare two scrapes. */
const delta = (before: Scrape, after: Scrape) => (name: string, labels?: Record<string, string>) =>
  after.value(name, labels) - before.value(name, labels);

describe('observability of `npm start` on the embedded engines', () => {
  it(
    'serves /health, /ready and /metrics next to GraphQL, and the metrics follow the traffic',
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'pulsegraph-metrics-'));
      dirs.push(dataDir);
      const { keys, API_KEYS } = issueApiKeys(['metrics']);
      const service = await startService(dataDir, { API_KEYS });
      const { url } = service;
      const origin = new URL(url).origin;

      expect(await getJson(`${origin}/health`)).toMatchObject({
        status: 200,
        body: { status: 'alive' },
      });
      const ready = await waitFor(async () => {
        const answer = await getJson(`${origin}/ready`);
        return answer.status === 200 ? answer : undefined;
      });
      expect(ready.body).toMatchObject({
        status: 'ready',
        failing: [],
        checks: {
          'embedded-log': { ok: true },
          'embedded-live-windows': { ok: true },
          'embedded-history': { ok: true },
          fold: { ok: true, detail: { partitions: 4 } },
        },
      });

      const before = await scrape(origin);
      // Node's process metrics are there from the start.
      expect(before.types.get('process_cpu_user_seconds_total')).toBe('counter');
      expect(before.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
      expect(before.value('process_resident_memory_bytes')).toBeGreaterThan(0);

      const client = apiClient(url, keys.metrics!);
      const now = Date.now();
      const valid = Array.from({ length: 30 }, (_, i) => ({
        name: 'click',
        timestamp: new Date(now - i * 1000).toISOString(),
        value: i,
      }));
      const invalid = [{ name: '' }, { name: 'click', dimensions: { nested: { no: 1 } } }];
      const ingested = await client.request(IngestDocument, { events: [...valid, ...invalid] });
      expect(ingested.body.data?.ingest).toMatchObject({ accepted: 30 });
      expect(ingested.body.data?.ingest.rejected).toHaveLength(2);
      const bad = await client.request(LiveDocument, {
        metric: { event: 'click' },
        window: 'soon',
      });
      expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

      const ws = client.ws();
      const live = collect<WatchLiveSubscription>((sink) =>
        ws.subscribe(operation(WatchLiveDocument, { metric: { event: 'click' } }), sink),
      );
      try {
        const during = await waitFor(
          async () => {
            const now = await scrape(origin);
            return now.value('pulsegraph_fold_events_total') === 30 &&
              live.results.length > 0 &&
              now.value('pulsegraph_graphql_subscriptions_active', { operation: 'WatchLive' }) === 1
              ? now
              : undefined;
          },
          { message: 'the fold to count 30 events and the subscription to be active' },
        );
        const moved = delta(before, during);
        expect(moved('pulsegraph_ingest_events_total', { outcome: 'accepted' })).toBe(30);
        expect(moved('pulsegraph_ingest_events_total', { outcome: 'rejected' })).toBe(2);
        const ingest = { operation: 'Ingest', type: 'mutation' };
        expect(moved('pulsegraph_graphql_operations_total', { ...ingest, outcome: 'ok' })).toBe(1);
        expect(moved('pulsegraph_graphql_operation_duration_seconds_count', ingest)).toBe(1);
        expect(moved('pulsegraph_graphql_operation_duration_seconds_sum', ingest)).toBeGreaterThan(
          0,
        );
        expect(
          moved('pulsegraph_graphql_operations_total', { operation: 'Live', outcome: 'error' }),
        ).toBe(1);
        expect(during.value('pulsegraph_websocket_connections_open')).toBe(1);
        expect(during.value('pulsegraph_http_connections_open')).toBeGreaterThanOrEqual(1);

        // The fold: records read, batch sizes and durations, a timed write to each sink.
        const records = moved('pulsegraph_fold_records_total');
        expect(records).toBeGreaterThanOrEqual(1);
        expect(moved('pulsegraph_fold_batch_records_sum')).toBe(records);
        expect(moved('pulsegraph_fold_batch_records_count')).toBe(
          moved('pulsegraph_fold_batches_total'),
        );
        expect(moved('pulsegraph_fold_batch_duration_seconds_count')).toBeGreaterThanOrEqual(1);
        expect(
          moved('pulsegraph_sink_write_duration_seconds_count', { sink: 'live' }),
        ).toBeGreaterThanOrEqual(1);
        expect(
          moved('pulsegraph_sink_write_duration_seconds_count', { sink: 'history' }),
        ).toBeGreaterThanOrEqual(1);
        expect(during.value('pulsegraph_fold_partitions_assigned')).toBe(4);
        const lag = during.find('pulsegraph_fold_lag_records');
        expect(lag.map((s) => s.labels.partition).sort()).toEqual(['0', '1', '2', '3']);
        expect(lag.every((s) => s.labels.topic === 'events' && s.value === 0)).toBe(true);
      } finally {
        live.dispose();
        await ws.dispose();
      }
      await waitFor(
        async () => {
          const after = await scrape(origin);
          return (
            after.value('pulsegraph_graphql_subscriptions_active') === 0 &&
            after.value('pulsegraph_websocket_connections_open') === 0
          );
        },
        { message: 'the subscription and its connection to be gone from the gauges' },
      );
      expect(await service.stop('SIGTERM')).toBe(0);
    },
    PROCESS_TEST_MS,
  );
});

describe('observability of a fold consumer alone on the real engines', () => {
  it(
    'serves /metrics, /health and /ready on METRICS_PORT, with dead letters, repeats, late events and lag',
    async () => {
      const services = testEnv();
      const topic = await freshTopic('metrics', 4);
      const tenant = `metrics-${topic.split('.').at(-1)}`;
      const { API_KEYS } = issueApiKeys([tenant]);
      const consumer = spawnService('consumers/fold.ts', {
        ...services,
        REDIS_PREFIX: `${services.REDIS_PREFIX}.${topic.split('.').at(-1)}`,
        INGEST_TOPICS: topic,
        DEAD_LETTER_TOPIC: `${topic}.dlq`,
        CONSUMER_GROUP: freshName('metrics-group'),
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        API_KEYS,
        METRICS_PORT: '0',
        SERVER_HOST: '127.0.0.1',
      });
      const origin = String((await consumer.line('metrics, health and readiness on')).url);

      expect((await getJson(`${origin}/health`)).status).toBe(200);
      // Ready once the consumer joined its group and holds the topic's partitions.
      const ready = await waitFor(
        async () => {
          const answer = await getJson(`${origin}/ready`);
          return answer.status === 200 ? answer : undefined;
        },
        { timeout: 30_000, message: 'the consumer to be ready' },
      );
      expect(ready.body).toMatchObject({
        failing: [],
        checks: {
          kafka: { ok: true },
          redis: { ok: true },
          clickhouse: { ok: true },
          fold: { ok: true, detail: { partitions: 4 } },
        },
      });

      const now = Date.now();
      const event = (i: number, at = now - i * 100) =>
        JSON.stringify({ id: `e${i}`, name: 'view', timestamp: new Date(at).toISOString() });
      const producer = testKafka('metrics-producer').producer();
      await producer.connect();
      try {
        await producer.send({
          topic,
          compression: CompressionTypes.None,
          messages: [
            ...Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: event(i) })),
            // Repeats of ten ids, three events past the live horizon, one message that is no event.
            ...Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: event(i) })),
            ...[200, 201, 202].map((i) => ({ key: 'late', value: event(i, now - 3 * 3600_000) })),
            { key: 'bad', value: 'not json' },
          ].map((message) => ({ ...message, headers: { tenant } })),
        });
      } finally {
        await producer.disconnect();
      }

      const after = await waitFor(
        async () => {
          const now = await scrape(origin);
          return now.value('pulsegraph_fold_events_total') === 203 &&
            now.value('pulsegraph_fold_lag_records') === 0
            ? now
            : undefined;
        },
        { timeout: 30_000, message: 'the fold to count 203 events and catch up' },
      );
      expect(after.value('pulsegraph_fold_records_total')).toBe(214);
      expect(after.value('pulsegraph_fold_duplicates_total')).toBe(10);
      expect(after.value('pulsegraph_fold_late_total', { sink: 'live' })).toBe(3);
      expect(after.value('pulsegraph_fold_dead_lettered_total', { step: 'parse' })).toBe(1);
      expect(after.value('pulsegraph_fold_partitions_assigned')).toBe(4);
      expect(after.find('pulsegraph_fold_lag_records')).toHaveLength(4);
      expect(after.value('pulsegraph_fold_batch_records_sum')).toBe(214);
      for (const sink of ['live', 'history']) {
        expect(
          after.value('pulsegraph_sink_write_duration_seconds_count', { sink }),
        ).toBeGreaterThan(0);
        expect(after.value('pulsegraph_sink_write_duration_seconds_sum', { sink })).toBeGreaterThan(
          0,
        );
      }
      // No API in this process: no GraphQL metrics, Node's own are there.
      expect(after.find('pulsegraph_graphql_operations_total')).toHaveLength(0);
      expect(after.value('process_resident_memory_bytes')).toBeGreaterThan(0);

      expect(await consumer.stop('SIGTERM')).toBe(0);
    },
    PROCESS_TEST_MS,
  );
});
