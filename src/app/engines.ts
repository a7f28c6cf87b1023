import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import { createClickHouseHistory } from '../adapters/clickhouse/history.js';
import { createClickHouseReads } from '../adapters/clickhouse/http-reads.js';
import { createMigrator } from '../adapters/clickhouse/migrate.js';
import { createEmbeddedEventLog } from '../adapters/embedded-log/event-log.js';
import { createKafkaEventLog } from '../adapters/kafka/event-log.js';
import { createMemoryChangeFeed } from '../adapters/memory/change-feed.js';
import { createMemoryHistoryHolds } from '../adapters/memory/history-holds.js';
import { createMemoryLiveWindows } from '../adapters/memory/live-windows.js';
import { createRedisChangeFeed } from '../adapters/redis/change-feed.js';
import { createRedisCommandConnection } from '../adapters/redis/connection.js';
import { createRedisDedupStore } from '../adapters/redis/dedup.js';
import { createRedisHistoryHolds } from '../adapters/redis/history-holds.js';
import { createRedisFoldProgress } from '../adapters/redis/fold-progress.js';
import { createRedisLiveWindows } from '../adapters/redis/live-windows.js';
import { createRedisMappingStore } from '../adapters/redis/mappings.js';
import { createRedisReferenceStore } from '../adapters/redis/reference-data.js';
import { createSqliteHistory } from '../adapters/sqlite/history.js';
import { createSqliteState } from '../adapters/sqlite/state.js';
import { usesRealEngines, type Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { ChangeFeed } from '../ports/change-feed.js';
import type { EventLog } from '../ports/event-log.js';
import type { FoldProgressStore } from '../ports/fold-progress.js';
import type { HistoryHolds } from '../ports/history-holds.js';
import type { HistoryStore } from '../ports/history.js';
import type { LiveWindowStore } from '../ports/live-windows.js';
import type { MappingStore } from '../ports/mappings.js';
import type { DedupStore, ReferenceStore } from '../ports/reference-data.js';

/** One adapter per port: the real engines, or the embedded ones. Everything above is shared. */
export interface Engines {
  kind: 'real' | 'embedded';
  log: EventLog;
  live: LiveWindowStore;
  history: HistoryStore;
  holds: HistoryHolds;
  changes: ChangeFeed;
  reference: ReferenceStore;
  dedup: DedupStore;
  progress: FoldProgressStore;
  mappings: MappingStore;
  close(): Promise<void>;
}

export async function createEngines(config: Config, logger: Logger): Promise<Engines> {
  const horizonMs = config.fold.LIVE_HORIZON_SECONDS * 1000;
  return usesRealEngines(config)
    ? createRealEngines(config, logger, horizonMs)
    : createEmbeddedEngines(config, logger, horizonMs);
}

async function createRealEngines(
  config: Config,
  logger: Logger,
  horizonMs: number,
): Promise<Engines> {
  const redisUrl = config.redis.REDIS_URL!;
  const prefix = config.redis.REDIS_PREFIX;
  const redis = createRedisCommandConnection({
    url: redisUrl,
    commandTimeoutMs: config.redis.REDIS_COMMAND_TIMEOUT_MS,
  });
  const subscriber = new Redis(redisUrl, { maxRetriesPerRequest: null });
  // Each failed reconnect is an 'error' event (ioredis prints unheard ones to stderr); the fold
  // logs the waits that matter.
  for (const client of [redis, subscriber])
    client.on('error', (error: Error) =>
      logger.debug({ err: error.message }, 'redis: connection error'),
    );
  const clickhouse = createClient({
    url: config.clickhouse.CLICKHOUSE_URL!,
    username: config.clickhouse.CLICKHOUSE_USER,
    password: config.clickhouse.CLICKHOUSE_PASSWORD,
    database: config.clickhouse.CLICKHOUSE_DATABASE,
    // A socket the server already closed fails the next request with EPIPE or a reset: drop
    // idle sockets before reusing them instead.
    keep_alive: { eagerly_destroy_stale_sockets: true },
  });
  const applied = await createMigrator({
    client: clickhouse,
    database: config.clickhouse.CLICKHOUSE_DATABASE,
  }).apply();
  if (applied.length > 0) logger.info({ applied }, 'applied ClickHouse migrations');
  const log = createKafkaEventLog({
    brokers: config.kafka.KAFKA_BROKERS,
    clientId: config.kafka.KAFKA_CLIENT_ID,
    logger,
    sessionTimeoutMs: config.kafka.KAFKA_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: Math.floor(config.kafka.KAFKA_SESSION_TIMEOUT_MS / 3),
    partitionsConsumedConcurrently: config.kafka.KAFKA_PARTITIONS_CONCURRENCY,
  });
  const live = createRedisLiveWindows({ redis, prefix, horizonMs });
  const reads = createClickHouseReads({
    url: config.clickhouse.CLICKHOUSE_URL!,
    username: config.clickhouse.CLICKHOUSE_USER,
    password: config.clickhouse.CLICKHOUSE_PASSWORD,
    database: config.clickhouse.CLICKHOUSE_DATABASE,
  });
  const history = createClickHouseHistory({
    client: clickhouse,
    database: config.clickhouse.CLICKHOUSE_DATABASE,
    reads,
  });
  const changes = createRedisChangeFeed({
    publisher: redis,
    subscriber,
    channel: `${prefix}:changes`,
  });
  // A consumer that died lets go of its partitions about when the group notices (a session).
  const holds = createRedisHistoryHolds({
    redis,
    prefix,
    ttlMs: config.kafka.KAFKA_SESSION_TIMEOUT_MS,
  });
  return {
    kind: 'real',
    log,
    live,
    history,
    holds,
    changes,
    reference: createRedisReferenceStore({ redis, prefix }),
    dedup: createRedisDedupStore({ redis, prefix }),
    progress: createRedisFoldProgress({ redis, prefix }),
    mappings: createRedisMappingStore({ redis, prefix }),
    async close() {
      await changes.close();
      await log.close();
      await holds.close();
      await history.close();
      reads.close();
      await clickhouse.close();
      await Promise.all([redis.quit(), subscriber.quit()]);
    },
  };
}

async function createEmbeddedEngines(
  config: Config,
  logger: Logger,
  horizonMs: number,
): Promise<Engines> {
  const dir = config.server.DATA_DIR;
  mkdirSync(dir, { recursive: true });
  const log = createEmbeddedEventLog({
    dir: join(dir, 'log'),
    partitions: config.kafka.TOPIC_PARTITIONS,
    logger,
  });
  const history = createSqliteHistory({ file: join(dir, 'history.sqlite') });
  const state = createSqliteState({ file: join(dir, 'state.sqlite') });
  const changes = createMemoryChangeFeed();
  return {
    kind: 'embedded',
    log,
    live: createMemoryLiveWindows({ horizonMs }),
    history,
    holds: createMemoryHistoryHolds(),
    changes,
    reference: state.reference,
    dedup: state.dedup,
    progress: state.progress,
    mappings: state.mappings,
    async close() {
      await changes.close();
      await log.close();
      await history.close();
      state.close();
    },
  };
}
