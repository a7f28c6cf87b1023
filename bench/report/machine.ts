import { existsSync, readdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { createClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import type { StackEnv } from '../support/stack-env.js';
import { STACK_DIR } from '../support/stack-env.js';
import type { Machine } from './model.js';

/** Kafka's version from the jar the stack runs (`kafka_2.13-3.9.1.jar`). */
function kafkaVersion(): string {
  const libs = `${STACK_DIR}/kafka/libs`;
  if (!existsSync(libs)) return 'unknown (not started by scripts/stack.sh)';
  const jar = readdirSync(libs).find((name) => /^kafka_[\d.]+-[\d.]+\.jar$/.test(name));
  return jar ? jar.replace(/^kafka_[\d.]+-/, '').replace(/\.jar$/, '') : 'unknown';
}

async function clickhouseVersion(url: string): Promise<string> {
  const client = createClient({ url });
  try {
    const rows = await (
      await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })
    ).json<{ v: string }>();
    return rows[0]?.v ?? 'unknown';
  } finally {
    await client.close();
  }
}

async function redisVersion(url: string): Promise<string> {
  const redis = new Redis(url);
  try {
    return /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  } finally {
    redis.disconnect();
  }
}

/** The machine the figures come from, and the engines' versions. */
export async function describeMachine(env: StackEnv): Promise<Machine> {
  return {
    cores: cpus().length,
    memoryGiB: totalmem() / 1024 ** 3,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    loadBefore: loadavg(),
    versions: {
      Node: process.version,
      Kafka: kafkaVersion(),
      ClickHouse: await clickhouseVersion(env.CLICKHOUSE_URL),
      Redis: await redisVersion(env.REDIS_URL),
    },
  };
}
