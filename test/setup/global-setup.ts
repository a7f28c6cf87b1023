// Global setup of the `services` test project (see vitest.config.ts):
// - makes sure Kafka, Redis and ClickHouse answer, running `scripts/stack.sh up` when one does not
//   (a service that still does not answer fails the run: never a skip);
// - gives the run an id, a fresh ClickHouse database `test_<runid>` with every migration applied,
//   and the prefixes `t<runid>.` for Kafka topics and consumer groups and `t<runid>` for Redis keys;
// - provides those settings to the tests (inject(), and process.env through test/setup/env.ts);
// - on teardown removes only what this run created: its database, its topics and groups, its keys.
// Set KEEP_TEST_DATA=1 to leave them for a look after a failure.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import type { TestProject } from 'vitest/node';
import { createMigrator } from '../../src/adapters/clickhouse/migrate.js';

export interface TestServices {
  KAFKA_BROKERS: string;
  REDIS_URL: string;
  CLICKHOUSE_URL: string;
  CLICKHOUSE_DATABASE: string;
  TEST_RUN_ID: string;
  REDIS_PREFIX: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: TestServices;
  }
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STACK_ENV = `${process.env.STACK_DIR ?? `${ROOT}.stack`}/env`;

type Endpoints = Pick<TestServices, 'KAFKA_BROKERS' | 'REDIS_URL' | 'CLICKHOUSE_URL'>;

function stackEnv(): Partial<Endpoints> {
  if (!existsSync(STACK_ENV)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(STACK_ENV, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** Settings from the environment when given there, else from .stack/env, else the stack's defaults. */
function endpoints(): Endpoints {
  const file = stackEnv();
  return {
    KAFKA_BROKERS:
      process.env.KAFKA_BROKERS ||
      file.KAFKA_BROKERS ||
      `127.0.0.1:${process.env.STACK_KAFKA_PORT ?? '19092'}`,
    REDIS_URL:
      process.env.REDIS_URL ||
      file.REDIS_URL ||
      `redis://127.0.0.1:${process.env.STACK_REDIS_PORT ?? '6379'}`,
    CLICKHOUSE_URL:
      process.env.CLICKHOUSE_URL ||
      file.CLICKHOUSE_URL ||
      `http://127.0.0.1:${process.env.STACK_CLICKHOUSE_HTTP_PORT ?? '18123'}`,
  };
}

const kafkaFor = (brokers: string) =>
  new Kafka({
    clientId: 'test-global-setup',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 1 },
  });

async function probeKafka(brokers: string): Promise<void> {
  const admin = kafkaFor(brokers).admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function probeRedis(url: string): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const pong = await redis.ping();
    if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
  } finally {
    redis.disconnect();
  }
}

async function probeClickHouse(url: string): Promise<void> {
  // Quiet: a refused connection here is expected before the stack is up.
  const client = createClient({
    url,
    request_timeout: 5000,
    log: { level: ClickHouseLogLevel.OFF },
  });
  try {
    const result = await client.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' });
    const rows = await result.json<{ one: number }>();
    if (Number(rows[0]?.one) !== 1) throw new Error(`SELECT 1 answered ${JSON.stringify(rows)}`);
  } finally {
    await client.close();
  }
}

/** Names of the services that do not answer, with why. */
async function unanswered(e: Endpoints): Promise<string[]> {
  const probes: [string, Promise<void>][] = [
    [`Kafka at ${e.KAFKA_BROKERS}`, probeKafka(e.KAFKA_BROKERS)],
    [`Redis at ${e.REDIS_URL}`, probeRedis(e.REDIS_URL)],
    [`ClickHouse at ${e.CLICKHOUSE_URL}`, probeClickHouse(e.CLICKHOUSE_URL)],
  ];
  const results = await Promise.allSettled(probes.map(([, p]) => p));
  return results.flatMap((r, i) =>
    r.status === 'rejected'
      ? [`${probes[i]![0]}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`]
      : [],
  );
}

async function ensureServices(): Promise<Endpoints> {
  let e = endpoints();
  let missing = await unanswered(e);
  if (missing.length === 0) return e;
  const explicit = ['KAFKA_BROKERS', 'REDIS_URL', 'CLICKHOUSE_URL'].filter((k) => process.env[k]);
  console.log(
    `[test setup] not answering:\n  ${missing.join('\n  ')}\n[test setup] running scripts/stack.sh up`,
  );
  try {
    execFileSync('bash', [`${ROOT}scripts/stack.sh`, 'up'], { stdio: 'inherit', cwd: ROOT });
  } catch {
    throw new Error(
      'scripts/stack.sh up failed (its output above says why): the service tests cannot run',
    );
  }
  e = endpoints();
  missing = await unanswered(e);
  if (missing.length > 0)
    throw new Error(
      `services still not answering after scripts/stack.sh up:\n  ${missing.join('\n  ')}` +
        (explicit.length > 0
          ? `\n(${explicit.join(', ')} set in the environment: the stack cannot start those)`
          : ''),
    );
  return e;
}

async function cleanUp(s: TestServices): Promise<void> {
  const problems: string[] = [];
  const attempt = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  await attempt('ClickHouse', async () => {
    const client = createClient({ url: s.CLICKHOUSE_URL });
    try {
      await client.command({ query: `DROP DATABASE IF EXISTS \`${s.CLICKHOUSE_DATABASE}\`` });
    } finally {
      await client.close();
    }
  });

  await attempt('Kafka', async () => {
    const admin = kafkaFor(s.KAFKA_BROKERS).admin();
    await admin.connect();
    try {
      const prefix = `t${s.TEST_RUN_ID}.`;
      const groups = (await admin.listGroups()).groups
        .map((g) => g.groupId)
        .filter((id) => id.startsWith(prefix));
      if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined); // a still-live group refuses
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    } finally {
      await admin.disconnect();
    }
  });

  await attempt('Redis', async () => {
    const redis = new Redis(s.REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${s.REDIS_PREFIX}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  });

  if (problems.length > 0)
    console.warn(`[test teardown] could not clean up everything:\n  ${problems.join('\n  ')}`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const e = await ensureServices();

  // Base-36 time + randomness, lowercase: valid in database names, topic names and key prefixes.
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const services: TestServices = {
    ...e,
    CLICKHOUSE_DATABASE: `test_${runId}`,
    TEST_RUN_ID: runId,
    REDIS_PREFIX: `t${runId}`,
  };

  const client = createClient({ url: services.CLICKHOUSE_URL });
  try {
    await createMigrator({ client, database: services.CLICKHOUSE_DATABASE }).apply();
  } finally {
    await client.close();
  }

  project.provide('services', services);
  Object.assign(process.env, services);
  console.log(
    `[test setup] run ${runId}: ClickHouse database ${services.CLICKHOUSE_DATABASE}, topics t${runId}.*, Redis keys ${services.REDIS_PREFIX}*`,
  );

  return async () => {
    if (process.env.KEEP_TEST_DATA === '1') {
      console.log(
        `[test teardown] KEEP_TEST_DATA=1: left run ${runId}'s database, topics and keys in place`,
      );
      return;
    }
    await cleanUp(services);
  };
}
