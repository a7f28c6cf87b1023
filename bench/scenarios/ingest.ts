import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Kafka, Message } from 'kafkajs';
import { createMigrator } from '../../src/adapters/clickhouse/migrate.js';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { generateEvent, singleEventMessage, TENANT } from '../support/events.js';
import { summariseLogLines } from '../support/log-lines.js';
import { percentile } from '../support/stats.js';
import { workspaceSettings } from '../support/service-settings.js';
import { createBenchWorkspace } from '../support/workspace.js';
import { ensureWrk, runWrk } from '../support/wrk.js';
import type { Figure } from '../report/model.js';
import { repeat, type Scenario } from './scenario.js';

const BATCHES = [100, 1000];
/** Requests (and kafkajs sends) in flight at once. */
const CONCURRENCY = 8;
const PARTITIONS = 4;
const WARM_UP_SECONDS = 3;

const MUTATION =
  'mutation Ingest($events: [EventInput!]!) { ingest(events: $events) { accepted rejected { index reason } } }';

/** The batch as the mutation takes it: the generated events with ISO timestamps. */
function ingestBody(events: string[]): string {
  const inputs = events.map((json) => {
    const event = JSON.parse(json) as { timestamp: number };
    return { ...event, timestamp: new Date(event.timestamp).toISOString() };
  });
  return JSON.stringify({ query: MUTATION, variables: { events: inputs } });
}

interface Sample {
  eventsPerSecond: number;
  p50: number;
  p99: number;
  failed: number;
  cores?: number;
}

/** kafkajs sends of `messages` (acks from all replicas), CONCURRENCY at once, for `seconds`. */
async function rawProduce(
  kafka: Kafka,
  topic: string,
  messages: Message[],
  seconds: number,
): Promise<Sample> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const latencies: number[] = [];
  let sent = 0;
  let failed = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  try {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < until) {
          const t0 = performance.now();
          try {
            await producer.send({ topic, acks: -1, messages });
            sent += messages.length;
          } catch {
            failed++;
          }
          latencies.push(performance.now() - t0);
        }
      }),
    );
  } finally {
    await producer.disconnect();
  }
  latencies.sort((a, b) => a - b);
  return {
    eventsPerSecond: (sent * 1000) / (performance.now() - started),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    failed,
  };
}

async function checkIngest(api: ApiProcess, apiKey: string, body: string, expected: number) {
  const response = await fetch(api.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body,
  });
  const reply = (await response.json()) as { data?: { ingest: { accepted: number } } };
  if (reply.data?.ingest.accepted !== expected)
    throw new Error(`ingest does not accept the batch: ${JSON.stringify(reply).slice(0, 500)}`);
}

export const ingest: Scenario = {
  id: '3',
  key: 'ingest',
  title: 'Ingest mutation: events/s through GraphQL into Kafka',
  method: (c) =>
    `The API (src/main.ts, ROLE=api, production mode, a child process) takes \`ingest\` mutations of ` +
    `${BATCHES.join(' and ')} events from wrk (${CONCURRENCY} keep-alive connections, ${c.ingestSeconds} s per batch size), ` +
    'each accepted only once written to Kafka. Baseline: kafkajs in this process sending the same events ' +
    `(one per message, acks from all replicas) in sends of the same size, ${CONCURRENCY} in flight. ` +
    `Warm-up: ${WARM_UP_SECONDS} s of each first (not counted). No fold runs meanwhile.`,
  async run(c) {
    ensureWrk(c.say);
    const workspace = createBenchWorkspace('ingest', { say: c.say });
    const { run, database, clickhouse, kafka, log } = workspace;
    const topic = `${workspace.kafkaPrefix}.events`;
    const apiKey = `bench-${randomBytes(16).toString('hex')}`;
    let api: ApiProcess | undefined;
    const figures: Figure[] = [];
    const notes: string[] = [];
    try {
      await createMigrator({ client: clickhouse, database }).apply();
      await log.ensureTopics([topic, `${topic}.dlq`], PARTITIONS);
      api = await startApiProcess({
        settings: workspaceSettings(workspace, {
          topic,
          partitions: PARTITIONS,
          apiKey,
          tenant: TENANT,
        }),
      });
      for (const size of BATCHES) {
        const events = Array.from({ length: size }, (_, i) =>
          generateEvent(`${run}-${size}`, i, Date.now()),
        );
        const body = ingestBody(events.map((e) => e.json));
        const messages = events.map(singleEventMessage);
        await checkIngest(api, apiKey, body, size);
        const request = { url: api.url, body, headers: { Authorization: `Bearer ${apiKey}` } };
        const wrk = async (seconds: number): Promise<Sample> => {
          const before = api!.usage().cpuSeconds;
          const result = await runWrk(request, { connections: CONCURRENCY, seconds });
          return {
            eventsPerSecond: (result.requests * size) / result.seconds,
            p50: result.p50,
            p99: result.p99,
            failed: result.failed,
            cores: (api!.usage().cpuSeconds - before) / result.seconds,
          };
        };
        c.say(`ingest warm-up, batches of ${size}`);
        await wrk(WARM_UP_SECONDS);
        await rawProduce(kafka, topic, messages, WARM_UP_SECONDS);
        const samples = await repeat(c, `ingest, batches of ${size}`, async () => {
          const service = await wrk(c.ingestSeconds);
          const raw = await rawProduce(kafka, topic, messages, c.ingestSeconds);
          c.say(
            `  ingest ${Math.round(service.eventsPerSecond)} events/s (p99 ${service.p99.toFixed(1)} ms), kafkajs ${Math.round(raw.eventsPerSecond)} events/s`,
          );
          return { service, raw };
        });
        figures.push(
          {
            measure: `batches of ${size}: events accepted per second`,
            unit: 'events/s',
            values: samples.map((s) => s.service.eventsPerSecond),
            baseline: {
              label: 'kafkajs producing them directly',
              values: samples.map((s) => s.raw.eventsPerSecond),
            },
            bar: `ingest mutation, batches of ${size}`,
          },
          {
            measure: '  request latency p50',
            unit: 'ms',
            values: samples.map((s) => s.service.p50),
            baseline: { label: 'kafkajs send', values: samples.map((s) => s.raw.p50) },
          },
          {
            measure: '  request latency p99',
            unit: 'ms',
            values: samples.map((s) => s.service.p99),
            baseline: { label: 'kafkajs send', values: samples.map((s) => s.raw.p99) },
          },
          {
            measure: '  API CPU',
            unit: 'cores',
            values: samples.map((s) => s.service.cores ?? NaN),
          },
        );
        const failed = samples.reduce((n, s) => n + s.service.failed + s.raw.failed, 0);
        if (failed > 0) notes.push(`Batches of ${size}: ${failed} failed requests or sends.`);
      }
      notes.push(
        `API RSS at the end ${(api.usage().rssBytes / 1024 / 1024).toFixed(0)} MiB (idle ${(api.idle.rssBytes / 1024 / 1024).toFixed(0)} MiB).`,
      );
    } finally {
      await api?.stop();
      if (api) notes.push(...summariseLogLines(api.problems).map((l) => `The API logged: ${l}`));
      await workspace.close(c.keep);
    }
    return { figures, notes };
  },
};
