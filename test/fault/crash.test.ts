// Kills the fold consumer with SIGKILL at random moments of a long stream, restarts it, and
// checks that the live windows and history end up exactly equal to the generator's ground truth:
// nothing lost, nothing counted twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { createClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import { CompressionTypes } from 'kafkajs';
import { afterAll, describe, expect, it, onTestFailed, onTestFinished } from 'vitest';
import { createClickHouseHistory } from '../../src/adapters/clickhouse/history.js';
import { createRedisFoldProgress } from '../../src/adapters/redis/fold-progress.js';
import { createRedisLiveWindows } from '../../src/adapters/redis/live-windows.js';
import { aggregateValue } from '../../src/live/compute.js';
import type { Aggregate } from '../../src/events/metric.js';
import { createPrivateDatabase } from '../support/private-services.js';
import { freshName, freshTopic, testEnv, testKafka, waitFor } from '../support/services.js';
import {
  EVENT_NAMES,
  TENANTS,
  generate,
  random,
  singleBucket,
  truthValue,
  tenantKeys,
  truthKey,
} from '../support/generator.js';

const EVENTS_PER_TENANT = 100_000;
const KILLS = 10;
const children = new Set<ChildProcess>();

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** What the consumers printed, for a failure's message: info and above, one line each. */
const outputs: (() => string)[] = [];

function startConsumer(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'consumers/fold.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let output = '';
  outputs.push(() => output);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('fold consumer started')) resolve(child);
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) =>
      reject(new Error(`consumer exited with ${code} before starting:\n${output.slice(-3000)}`)),
    );
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('fold under SIGKILL', () => {
  it('ends with the exact ground truth in Redis and ClickHouse after 10 kills', async () => {
    onTestFailed(() =>
      outputs.forEach((output, i) =>
        console.log(`consumer ${i + 1} output (last 6000 characters):\n${output().slice(-6000)}`),
      ),
    );
    const services = testEnv();
    const topic = await freshTopic('crash', 4);
    // A database of its own: other tests of the run write events of the same tenants.
    const { database, drop } = await createPrivateDatabase('crash');
    onTestFinished(drop);
    const prefix = `${services.REDIS_PREFIX}.crash`;
    const env = {
      KAFKA_BROKERS: services.KAFKA_BROKERS,
      REDIS_URL: services.REDIS_URL,
      CLICKHOUSE_URL: services.CLICKHOUSE_URL,
      CLICKHOUSE_DATABASE: database,
      REDIS_PREFIX: prefix,
      INGEST_TOPICS: topic,
      DEAD_LETTER_TOPIC: `${topic}.dlq`,
      CONSUMER_GROUP: freshName('crash-group'),
      API_KEYS: tenantKeys(),
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    };
    const now = Date.now();
    const { byTenant, truth } = generate({
      count: EVENTS_PER_TENANT,
      startMs: now - 30 * 60_000,
      endMs: now,
      seed: 7,
    });

    // Producing runs through the whole test, in chunks of array and single-event messages.
    const producer = testKafka('crash-producer').producer();
    await producer.connect();
    const chunks: {
      tenant: string;
      events: typeof byTenant extends Map<string, infer E> ? E : never;
    }[] = [];
    for (const [tenant, events] of byTenant)
      for (let i = 0; i < events.length; i += 20)
        chunks.push({ tenant, events: events.slice(i, i + 20) });
    const shuffle = random(11);
    chunks.sort(() => shuffle() - 0.5);
    // The stream arrives in slices, one while each consumer runs, so every kill lands mid-stream.
    const slices = Array.from({ length: KILLS + 1 }, (_, k) =>
      chunks.slice(
        Math.floor((k * chunks.length) / (KILLS + 1)),
        Math.floor(((k + 1) * chunks.length) / (KILLS + 1)),
      ),
    );
    // Distinct ids sent so far: what the history count reaches once the fold has caught up.
    const produced = new Set<string>();
    const produce = async (slice: typeof chunks) => {
      for (let i = 0; i < slice.length; i += 50) {
        const messages = slice.slice(i, i + 50).flatMap(({ tenant, events }, j) =>
          // Every third chunk as one message per event, the others as one JSON array.
          (i + j) % 3 === 0
            ? events.map((e) => ({ key: e.userId, value: JSON.stringify(e), headers: { tenant } }))
            : [{ key: events[0]!.userId, value: JSON.stringify(events), headers: { tenant } }],
        );
        await producer.send({ topic, messages, compression: CompressionTypes.None });
        for (const chunk of slice.slice(i, i + 50))
          for (const e of chunk.events) produced.add(`${chunk.tenant}/${e.id}`);
        await sleep(100);
      }
    };

    const clickhouse = createClient({
      url: services.CLICKHOUSE_URL,
      database,
    });
    const historyCount = async () => {
      const result = await clickhouse.query({
        query: 'SELECT count() AS n FROM events',
        format: 'JSONEachRow',
      });
      return Number(((await result.json()) as { n: string }[])[0]!.n);
    };
    const expectedTotal = [...truth.entries()]
      .filter(([k]) => k.endsWith('|'))
      .reduce((n, [, t]) => n + t.count, 0);

    const pick = random(3);
    let killedMidStream = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const before = await historyCount();
      const child = await startConsumer(env);
      const producing = produce(slices[kill]!);
      // Kill only once this consumer is folding: after it wrote something, at a random moment.
      await waitFor(async () => (await historyCount()) > before, {
        timeout: 120_000,
        interval: 50,
      });
      await sleep(pick() * 1500);
      const producedAtKill = produced.size;
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      if ((await historyCount()) < producedAtKill) killedMidStream++;
      await producing;
    }
    expect(
      killedMidStream,
      'kills while the consumer was behind the stream',
    ).toBeGreaterThanOrEqual(KILLS / 2);

    const final = await startConsumer(env);
    await produce(slices[KILLS]!);
    await producer.disconnect();
    const redis = new Redis(services.REDIS_URL);
    try {
      const live = createRedisLiveWindows({ redis, prefix, horizonMs: 3_900_000 });
      const history = createClickHouseHistory({
        client: clickhouse,
        database,
      });
      // The fold records progress once both sinks hold a batch: wait until it covers the topic.
      const progress = createRedisFoldProgress({ redis, prefix });
      const admin = testKafka('crash-admin').admin();
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
      await waitFor(
        async () => {
          const held = await progress.read([topic]);
          return ends.every(
            (end) =>
              (held.find((p) => p.partition === end.partition)?.offset ?? -1) + 1 >=
              Number(end.high),
          );
        },
        { timeout: 240_000, interval: 500, message: 'both sinks catching up' },
      );
      expect(await historyCount()).toBe(expectedTotal);

      const range = singleBucket(now - 31 * 60_000, now + 60_000);
      const check = async (aggregate: Aggregate) => {
        for (const tenant of TENANTS)
          for (const event of EVENT_NAMES) {
            const metric = { event, aggregate, filter: [], groupBy: 'country' };
            const expected = new Map(
              [...truth.entries()]
                .filter(([k]) => k.startsWith(truthKey(tenant, event)) && !k.endsWith('|'))
                .map(([k, t]) => [k.split('|')[2]!, truthValue(t, aggregate)]),
            );
            const liveStats = await live.read({
              tenant,
              metric,
              fromMs: now - 31 * 60_000,
              toMs: now + 60_000,
              maxGroups: 50,
            });
            const liveValues = new Map(
              liveStats.map((s) => [s.group, aggregateValue(s, aggregate)]),
            );
            expect(Object.fromEntries(liveValues), `live ${aggregate} ${tenant} ${event}`).toEqual(
              Object.fromEntries(expected),
            );
            const historical = await history.query({ tenant, metric, ...range, maxGroups: 50 });
            const historyValues = new Map(
              historical.series.map((s) => [s.group, s.points[0]!.value]),
            );
            expect(
              Object.fromEntries(historyValues),
              `history ${aggregate} ${tenant} ${event}`,
            ).toEqual(Object.fromEntries(expected));
          }
      };
      await waitFor(
        async () => {
          await check('COUNT');
          return true;
        },
        { timeout: 60_000, interval: 500, message: 'live and history equal to the ground truth' },
      );
      for (const aggregate of ['SUM', 'MIN', 'MAX'] as const) await check(aggregate);
    } finally {
      final.kill('SIGTERM');
      await redis.quit();
      await clickhouse.close();
    }
  }, 600_000);
});
