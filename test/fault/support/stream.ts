// A generated event stream for fault tests: the Kafka messages to send in parts (so a test can
// break a dependency between two parts), and the check that the live windows and history end up
// exactly equal to its ground truth.
import type { ClickHouseClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import { CompressionTypes, type Message } from 'kafkajs';
import { expect } from 'vitest';
import { createClickHouseHistory } from '../../../src/adapters/clickhouse/history.js';
import { identifier, quoteString } from '../../../src/adapters/clickhouse/sql.js';
import { createRedisLiveWindows } from '../../../src/adapters/redis/live-windows.js';
import type { Aggregate } from '../../../src/events/metric.js';
import { aggregateValue } from '../../../src/live/compute.js';
import type { HistoryStore } from '../../../src/ports/history.js';
import type { LiveWindowStore } from '../../../src/ports/live-windows.js';
import {
  EVENT_NAMES,
  TENANTS,
  generate,
  random,
  singleBucket,
  truthKey,
  truthValue,
  type Truth,
} from '../../support/generator.js';
import { testKafka, waitFor } from '../../support/services.js';

export interface Stream {
  /** The generator's "now": events fall in the half hour before it. */
  now: number;
  truth: Map<string, Truth>;
  /** Distinct events: what history must hold in the end. */
  total: number;
  /** Kafka messages in the order they are sent: arrays of 20 events and single events, mixed. */
  messages: Message[];
}

export function createStream(options: { eventsPerTenant: number; seed: number }): Stream {
  const now = Date.now();
  const { byTenant, truth } = generate({
    count: options.eventsPerTenant,
    startMs: now - 30 * 60_000,
    endMs: now,
    seed: options.seed,
  });
  const chunks = [...byTenant].flatMap(([tenant, events]) =>
    Array.from({ length: Math.ceil(events.length / 20) }, (_, i) => ({
      tenant,
      events: events.slice(i * 20, i * 20 + 20),
    })),
  );
  const shuffle = random(options.seed + 1);
  chunks.sort(() => shuffle() - 0.5);
  const messages = chunks.flatMap(({ tenant, events }, i) =>
    i % 3 === 0
      ? events.map((e) => ({ key: e.userId, value: JSON.stringify(e), headers: { tenant } }))
      : [{ key: events[0]!.userId, value: JSON.stringify(events), headers: { tenant } }],
  );
  const total = [...truth]
    .filter(([key]) => key.endsWith('|'))
    .reduce((n, [, t]) => n + t.count, 0);
  return { now, truth, total, messages };
}

export interface StreamProducer {
  /** Sends the next `share` (0..1] of the stream's messages, pausing `pauseMs` between requests. */
  send(share: number, pauseMs: number): Promise<void>;
  /** Sends what is left. */
  finish(pauseMs: number): Promise<void>;
  close(): Promise<void>;
}

const MESSAGES_PER_REQUEST = 200;

export async function createStreamProducer(topic: string, stream: Stream): Promise<StreamProducer> {
  const producer = testKafka('fault-producer').producer();
  await producer.connect();
  let next = 0;
  const sendUpTo = async (end: number, pauseMs: number) => {
    while (next < end) {
      const messages = stream.messages.slice(next, Math.min(end, next + MESSAGES_PER_REQUEST));
      await producer.send({ topic, messages, compression: CompressionTypes.None });
      next += messages.length;
      if (next < end) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  };
  return {
    send: (share, pauseMs) =>
      sendUpTo(
        Math.min(stream.messages.length, next + Math.ceil(share * stream.messages.length)),
        pauseMs,
      ),
    finish: (pauseMs) => sendUpTo(stream.messages.length, pauseMs),
    close: () => producer.disconnect(),
  };
}

/** Rows of `topic` in the history's raw events table. */
export async function historyRows(
  client: ClickHouseClient,
  database: string,
  topic: string,
): Promise<number> {
  const result = await client.query({
    query: `SELECT count() AS n FROM ${identifier(database)}.events WHERE topic = ${quoteString(topic)}`,
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]!.n);
}

/**
 * Waits (up to `timeoutMs`) until COUNT per tenant, event and country equals the ground truth in
 * both sinks, then checks SUM, MIN and MAX exactly too.
 */
export async function expectGroundTruth(
  sinks: { live: LiveWindowStore; history: HistoryStore },
  stream: Stream,
  timeoutMs: number,
): Promise<void> {
  const { now, truth } = stream;
  const fromMs = now - 31 * 60_000;
  const toMs = now + 60_000;
  const range = singleBucket(fromMs, toMs);
  const check = async (aggregate: Aggregate) => {
    for (const tenant of TENANTS)
      for (const event of EVENT_NAMES) {
        const metric = { event, aggregate, filter: [], groupBy: 'country' };
        const expected = Object.fromEntries(
          [...truth]
            .filter(([key]) => key.startsWith(truthKey(tenant, event)) && !key.endsWith('|'))
            .map(([key, t]) => [key.split('|')[2]!, truthValue(t, aggregate)]),
        );
        const live = await sinks.live.read({ tenant, metric, fromMs, toMs, maxGroups: 50 });
        expect(
          Object.fromEntries(live.map((s) => [s.group, aggregateValue(s, aggregate)])),
          `live ${aggregate} ${tenant} ${event}`,
        ).toEqual(expected);
        const history = await sinks.history.query({ tenant, metric, ...range, maxGroups: 50 });
        expect(
          Object.fromEntries(history.series.map((s) => [s.group, s.points[0]!.value])),
          `history ${aggregate} ${tenant} ${event}`,
        ).toEqual(expected);
      }
  };
  await waitFor(
    async () => {
      await check('COUNT');
      return true;
    },
    { timeout: timeoutMs, interval: 500, message: 'live and history equal to the ground truth' },
  );
  for (const aggregate of ['SUM', 'MIN', 'MAX'] as const) await check(aggregate);
}

/** expectGroundTruth on the fold's Redis (under its key prefix) and ClickHouse database. */
export async function expectStoresEqualTruth(
  stores: { redisUrl: string; prefix: string; client: ClickHouseClient; database: string },
  stream: Stream,
): Promise<void> {
  const redis = new Redis(stores.redisUrl);
  try {
    await expectGroundTruth(
      {
        live: createRedisLiveWindows({ redis, prefix: stores.prefix, horizonMs: 3_900_000 }),
        history: createClickHouseHistory({ client: stores.client, database: stores.database }),
      },
      stream,
      90_000,
    );
  } finally {
    await redis.quit();
  }
}
