import { randomBytes } from 'node:crypto';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouseHistory } from '../../src/adapters/clickhouse/history.js';
import { createMigrator } from '../../src/adapters/clickhouse/migrate.js';
import type { PositionedEvent } from '../../src/events/event.js';
import type { RollupCapabilities } from '../../src/history/plan.js';
import { testEnv } from '../support/services.js';
import { describeHistoryContract } from './history.contract.js';

describeHistoryContract('ClickHouse', async () => {
  const env = testEnv();
  const client = createClient({ url: env.CLICKHOUSE_URL });
  const database = env.CLICKHOUSE_DATABASE;
  return {
    store: createClickHouseHistory({ client, database }),
    raw: createClickHouseHistory({ client, database, rollups: { minute: false, hour: false } }),
    exact: false,
    rollups: { minute: true, hour: true },
    dispose: () => client.close(),
  };
});

describe('ClickHouse history retention', () => {
  // Its own database: dropping partitions touches every tenant of a database.
  const database = `test_hist_${randomBytes(4).toString('hex')}`;
  const client = createClient({ url: testEnv().CLICKHOUSE_URL });
  const history = createClickHouseHistory({ client, database });

  beforeAll(async () => {
    await createMigrator({ client, database }).apply();
  });
  afterAll(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
    await client.close();
  });

  it('drops raw days before the cut and rollup months wholly before it, keeping offsets', async () => {
    const day = Date.UTC(2024, 2, 1);
    const events = [-2, -1, 0, 1].map((d, i): PositionedEvent => ({
      id: `r${i}`,
      tenant: 't',
      name: 'e',
      timestamp: day + d * 86_400_000 + 3_600_000,
      userId: 'u',
      value: 1,
      dimensions: { k: 'v' },
      topic: 'retention',
      partition: 0,
      offset: i,
    }));
    await history.insert(events);
    // The cut at March 2nd: February's rollups go with its raw days; March 1st's raw day goes, but
    // not March's rollups.
    expect((await history.dropBefore(day + 86_400_000 + 5 * 3_600_000)).sort()).toEqual([
      'events/20240228',
      'events/20240229',
      'events/20240301',
      'events_hour/202402',
      'events_minute/202402',
    ]);
    const count = async (aggregate: 'COUNT' | 'UNIQUES', rollups: RollupCapabilities) => {
      const store = createClickHouseHistory({ client, database, rollups });
      const { series } = await store.query({
        tenant: 't',
        metric: { event: 'e', aggregate, filter: [], groupBy: null },
        fromMs: day - 3 * 86_400_000,
        toMs: day + 2 * 86_400_000,
        intervalMs: 86_400_000,
        maxGroups: 1,
      });
      return series[0]!.points.map((p) => p.value);
    };
    const hour = { minute: false, hour: true };
    const minute = { minute: true, hour: false };
    const raw = { minute: false, hour: false };
    expect(await count('COUNT', hour)).toEqual([null, null, null, 1, 1]);
    expect(await count('UNIQUES', hour)).toEqual([null, null, null, 1, 1]);
    expect(await count('COUNT', minute)).toEqual([null, null, null, 1, 1]);
    expect(await count('COUNT', raw)).toEqual([null, null, null, null, 1]);
    expect(await count('UNIQUES', raw)).toEqual([null, null, null, null, 1]);
    expect(await history.offsets([{ topic: 'retention', partition: 0 }])).toEqual([3]);
    expect(await history.dropBefore(day + 86_400_000)).toEqual([]);
  });
});
