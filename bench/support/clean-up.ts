import type { ClickHouseClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';

export interface BenchLeftovers {
  brokers: string[];
  /** Topics and consumer groups whose names start with this are deleted. */
  kafkaPrefix: string;
  clickhouse: ClickHouseClient;
  database: string;
  redisUrl: string;
  /** Keys under `<redisPrefix>:` are deleted. */
  redisPrefix: string;
}

/** Removes what a benchmark run created on the engines: its topics, groups, database and keys. */
export async function removeBenchLeftovers(what: BenchLeftovers): Promise<void> {
  const kafka = new Kafka({
    clientId: 'bench-clean-up',
    brokers: what.brokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(what.kafkaPrefix));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    const groups = (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(what.kafkaPrefix));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  await what.clickhouse.command({ query: `DROP DATABASE IF EXISTS \`${what.database}\`` });
  const redis = new Redis(what.redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(
        cursor,
        'MATCH',
        `${what.redisPrefix}:*`,
        'COUNT',
        1000,
      );
      if (found.length > 0) await redis.unlink(...found);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
