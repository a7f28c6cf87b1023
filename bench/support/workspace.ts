import { randomBytes } from 'node:crypto';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { createKafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import type { EventLog } from '../../src/ports/event-log.js';
import { removeBenchLeftovers } from './clean-up.js';
import { stackEnv, type StackEnv } from './stack-env.js';

/**
 * What one benchmark run has on the engines, under names of its own (a random run id), and the
 * clients to them: its topics and consumer groups start with `<kafkaPrefix>.`, its tables live in
 * `database`, its Redis keys under `<redisPrefix>:`.
 */
export interface BenchWorkspace {
  env: StackEnv;
  brokers: string[];
  run: string;
  kafkaPrefix: string;
  database: string;
  redisPrefix: string;
  clickhouse: ClickHouseClient;
  kafka: Kafka;
  log: EventLog;
  /** Removes the run's topics, groups, database and keys unless `keep`, then closes the clients. */
  close(keep: boolean): Promise<void>;
}

export interface BenchWorkspaceOptions {
  say: (line: string) => void;
  /** Settings of the ClickHouse client (e.g. a long timeout for a big load). */
  clickhouse?: Omit<Parameters<typeof createClient>[0] & object, 'url'>;
}

/** A workspace named after the benchmark (`pipeline`: bench.pipeline.<run>, bench_pipeline_<run>). */
export function createBenchWorkspace(name: string, options: BenchWorkspaceOptions): BenchWorkspace {
  const env = stackEnv();
  const brokers = env.KAFKA_BROKERS.split(',');
  const run = randomBytes(3).toString('hex');
  const kafkaPrefix = `bench.${name}.${run}`;
  const database = `bench_${name}_${run}`;
  const redisPrefix = `b${name}.${run}`;
  // DROP DATABASE of a big run on a loaded machine takes longer than the client's 30 s default.
  const clickhouse = createClient({
    request_timeout: 300_000,
    ...options.clickhouse,
    url: env.CLICKHOUSE_URL,
  });
  const clientId = `bench-${name}`;
  const kafka = new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING });
  const log = createKafkaEventLog({ brokers, clientId, logger: pino({ level: 'silent' }) });
  return {
    env,
    brokers,
    run,
    kafkaPrefix,
    database,
    redisPrefix,
    clickhouse,
    kafka,
    log,
    async close(keep) {
      const what = `topics ${kafkaPrefix}.*, database ${database}, Redis keys ${redisPrefix}:*`;
      try {
        if (keep) options.say(`kept ${what}`);
        else
          await removeBenchLeftovers({
            brokers,
            kafkaPrefix: `${kafkaPrefix}.`,
            clickhouse,
            database,
            redisUrl: env.REDIS_URL,
            redisPrefix,
          });
      } catch (error) {
        // What was measured stands: a slow engine at clean-up time leaves the run's names behind.
        options.say(`clean-up failed (${(error as Error).message}): ${what} are left`);
      } finally {
        await log.close();
        await clickhouse.close();
      }
    },
  };
}
