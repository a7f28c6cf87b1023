import { createClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { createClickHouseHistory } from '../../src/adapters/clickhouse/history.js';
import { createClickHouseReads } from '../../src/adapters/clickhouse/http-reads.js';
import { isDependencyUnavailable } from '../../src/errors.js';
import { testEnv } from '../support/services.js';
import { describeHistoryContract } from './history.contract.js';

// The same contract with the SELECTs over http-reads.ts, as the service runs them.
describeHistoryContract('ClickHouse, reads over Node HTTP', async () => {
  const env = testEnv();
  const client = createClient({ url: env.CLICKHOUSE_URL });
  const database = env.CLICKHOUSE_DATABASE;
  const reads = createClickHouseReads({ url: env.CLICKHOUSE_URL, database });
  return {
    store: createClickHouseHistory({ client, database, reads }),
    raw: createClickHouseHistory({
      client,
      database,
      reads,
      rollups: { minute: false, hour: false },
    }),
    exact: false,
    rollups: { minute: true, hour: true },
    dispose: async () => {
      reads.close();
      await client.close();
    },
  };
});

describe('ClickHouse reads over Node HTTP', () => {
  it("rejects with the server's message, and with the network error where nothing listens", async () => {
    const env = testEnv();
    const reads = createClickHouseReads({ url: env.CLICKHOUSE_URL, database: 'system' });
    const closed = createClickHouseReads({ url: 'http://127.0.0.1:1', database: 'system' });
    try {
      expect((await reads.select<[number]>('SELECT toUInt64(1) AS n')).data).toEqual([[1]]);
      await expect(reads.select('SELECT no_such_column FROM one')).rejects.toThrow(
        /ClickHouse answered \d+: .*no_such_column/,
      );
      const refused = await closed.select('SELECT 1').catch((error: unknown) => error);
      expect(isDependencyUnavailable(refused)).toBe(true);
    } finally {
      reads.close();
      closed.close();
    }
  });
});
