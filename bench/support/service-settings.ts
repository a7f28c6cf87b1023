import { hashApiKey } from '../../src/api/auth.js';
import type { StackEnv } from './stack-env.js';
import type { BenchWorkspace } from './workspace.js';

export interface ServiceRun {
  database: string;
  redisPrefix: string;
  /** The ingest topic (its dead-letter topic is `<topic>.dlq`). */
  topic: string;
  consumerGroup: string;
  partitions: number;
  /** The plain API key and the tenant it maps to. */
  apiKey: string;
  tenant: string;
}

/**
 * The settings of the service's child processes (fold and API) for a benchmark run: production
 * mode on the run's own database, topic, group and Redis prefix, with the rate limit raised out of
 * the way (it would otherwise be what is measured).
 */
export function serviceSettings(env: StackEnv, run: ServiceRun): Record<string, string> {
  return {
    NODE_ENV: 'production',
    // The children's start-up lines (engines ready, listening) are at info.
    LOG_LEVEL: 'info',
    KAFKA_BROKERS: env.KAFKA_BROKERS,
    REDIS_URL: env.REDIS_URL,
    CLICKHOUSE_URL: env.CLICKHOUSE_URL,
    CLICKHOUSE_DATABASE: run.database,
    REDIS_PREFIX: run.redisPrefix,
    INGEST_TOPICS: run.topic,
    DEAD_LETTER_TOPIC: `${run.topic}.dlq`,
    CONSUMER_GROUP: run.consumerGroup,
    TOPIC_PARTITIONS: String(run.partitions),
    API_KEYS: `${hashApiKey(run.apiKey)}:${run.tenant}`,
    SERVER_HOST: '127.0.0.1',
    PORT: '0',
    RATE_LIMIT_PER_SECOND: '1000000',
    RATE_LIMIT_BURST: '1000000',
  };
}

/** The same in a workspace: its database and Redis prefix, and a consumer group of its own. */
export const workspaceSettings = (
  workspace: BenchWorkspace,
  run: Pick<ServiceRun, 'topic' | 'partitions' | 'apiKey' | 'tenant'>,
): Record<string, string> =>
  serviceSettings(workspace.env, {
    ...run,
    database: workspace.database,
    redisPrefix: workspace.redisPrefix,
    consumerGroup: `${workspace.kafkaPrefix}.fold`,
  });
