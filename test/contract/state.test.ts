// The state contract (state.contract.ts, where its cases and assertions live) on Redis and SQLite.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { createRedisDedupStore } from '../../src/adapters/redis/dedup.js';
import { createRedisFoldProgress } from '../../src/adapters/redis/fold-progress.js';
import { createRedisMappingStore } from '../../src/adapters/redis/mappings.js';
import { createRedisReferenceStore } from '../../src/adapters/redis/reference-data.js';
import { createSqliteState } from '../../src/adapters/sqlite/state.js';
import { testEnv } from '../support/services.js';
import { describeStateContract } from './state.contract.js';

const redisClients: Redis[] = [];
afterAll(async () => {
  await Promise.all(redisClients.map((client) => client.quit()));
});

describeStateContract('redis', async () => {
  const redis = new Redis(testEnv().REDIS_URL, { lazyConnect: true });
  await redis.connect();
  redisClients.push(redis);
  // A prefix per case under the run's prefix: the run's teardown deletes them.
  const prefix = `${testEnv().REDIS_PREFIX}.${randomUUID().slice(0, 8)}`;
  return {
    reference: createRedisReferenceStore({ redis, prefix }),
    dedup: createRedisDedupStore({ redis, prefix }),
    progress: createRedisFoldProgress({ redis, prefix }),
    mappings: createRedisMappingStore({ redis, prefix }),
  };
});

describeStateContract('embedded sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'state-'));
  return createSqliteState({ file: join(dir, 'state.sqlite') });
});
