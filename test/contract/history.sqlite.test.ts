import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteHistory } from '../../src/adapters/sqlite/history.js';
import type { PositionedEvent } from '../../src/events/event.js';
import { describeHistoryContract } from './history.contract.js';

describeHistoryContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'history-'));
  const file = join(dir, 'history.db');
  const store = createSqliteHistory({ file });
  const raw = createSqliteHistory({ file, rollups: false });
  return {
    store,
    raw,
    exact: true,
    rollups: { minute: true, hour: false },
    dispose: async () => {
      await store.close();
      await raw.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite history on disk', () => {
  it('keeps data and offsets across reopening, in WAL mode', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'history-'));
    const file = join(dir, 'history.db');
    try {
      const event: PositionedEvent = {
        id: 'a',
        tenant: 't',
        name: 'e',
        timestamp: Date.UTC(2024, 0, 1, 12),
        userId: null,
        value: 2.5,
        dimensions: {},
        topic: 'events',
        partition: 1,
        offset: 41,
      };
      const first = createSqliteHistory({ file });
      await first.insert([event, { ...event, id: 'b', offset: 42, value: 0.25 }]);
      await first.close();
      const second = createSqliteHistory({ file });
      expect(await second.offsets([{ topic: 'events', partition: 1 }])).toEqual([42]);
      const { series } = await second.query({
        tenant: 't',
        metric: { event: 'e', aggregate: 'SUM', filter: [], groupBy: null },
        fromMs: event.timestamp,
        toMs: event.timestamp + 60_000,
        intervalMs: 60_000,
        maxGroups: 1,
      });
      expect(series[0]!.points).toEqual([{ time: event.timestamp, value: 2.75 }]);
      await second.close();
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(file, { readonly: true });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
