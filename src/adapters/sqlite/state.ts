import Database from 'better-sqlite3';
import type { StoredMapping } from '../../mappings/spec.js';
import type { FoldProgressStore, PartitionProgress } from '../../ports/fold-progress.js';
import type { MappingStore } from '../../ports/mappings.js';
import type { DedupStore, LookupTable, ReferenceStore } from '../../ports/reference-data.js';

export interface SqliteState {
  reference: ReferenceStore;
  dedup: DedupStore;
  progress: FoldProgressStore;
  mappings: MappingStore;
  close(): void;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS lookup_tables (
    tenant TEXT NOT NULL, name TEXT NOT NULL, key_dimension TEXT NOT NULL,
    PRIMARY KEY (tenant, name));
  CREATE TABLE IF NOT EXISTS lookup_rows (
    tenant TEXT NOT NULL, name TEXT NOT NULL, key TEXT NOT NULL, vals TEXT NOT NULL,
    PRIMARY KEY (tenant, name, key));
  CREATE TABLE IF NOT EXISTS lookup_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS dedup (
    tenant TEXT NOT NULL, id TEXT NOT NULL, position TEXT NOT NULL, expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, id));
  CREATE TABLE IF NOT EXISTS fold_progress (
    topic TEXT NOT NULL, partition INTEGER NOT NULL, record_offset INTEGER NOT NULL, record_ts INTEGER NOT NULL,
    PRIMARY KEY (topic, partition));
  CREATE TABLE IF NOT EXISTS topic_mappings (
    owner TEXT NOT NULL, name TEXT NOT NULL, stored TEXT NOT NULL, PRIMARY KEY (owner, name));
  CREATE TABLE IF NOT EXISTS mapping_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
`;

/**
 * The embedded counterparts of the Redis reference data, dedup and progress stores, in one
 * SQLite file so they survive restarts like the rest of the embedded data.
 */
export function createSqliteState({
  file,
  clock = Date.now,
}: {
  file: string;
  clock?: () => number;
}): SqliteState {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);

  const upsertTable = db.prepare(
    'INSERT INTO lookup_tables (tenant, name, key_dimension) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET key_dimension = excluded.key_dimension',
  );
  const upsertRow = db.prepare(
    'INSERT INTO lookup_rows (tenant, name, key, vals) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET vals = excluded.vals',
  );
  const bumpVersion = db.prepare(
    'INSERT INTO lookup_version (id, version) VALUES (1, 1) ON CONFLICT DO UPDATE SET version = version + 1',
  );
  const readVersion = db.prepare<[], { version: number }>(
    'SELECT version FROM lookup_version WHERE id = 1',
  );
  const allTables = db.prepare<[], { tenant: string; name: string; key_dimension: string }>(
    'SELECT tenant, name, key_dimension FROM lookup_tables ORDER BY tenant, name',
  );
  const allRows = db.prepare<[], { tenant: string; name: string; key: string; vals: string }>(
    'SELECT tenant, name, key, vals FROM lookup_rows',
  );
  const putLookup = db.transaction(
    (
      tenant: string,
      table: string,
      keyDimension: string,
      rows: { key: string; values: Record<string, string> }[],
    ) => {
      upsertTable.run(tenant, table, keyDimension);
      for (const row of rows) upsertRow.run(tenant, table, row.key, JSON.stringify(row.values));
      bumpVersion.run();
    },
  );

  const findClaim = db.prepare<[string, string], { position: string; expires_at: number }>(
    'SELECT position, expires_at FROM dedup WHERE tenant = ? AND id = ?',
  );
  const writeClaim = db.prepare(
    'INSERT OR REPLACE INTO dedup (tenant, id, position, expires_at) VALUES (?, ?, ?, ?)',
  );
  const dropExpired = db.prepare('DELETE FROM dedup WHERE expires_at < ?');
  let lastSweep = 0;
  const claim = db.transaction(
    (entries: { tenant: string; id: string; position: string }[], ttlMs: number) => {
      const now = clock();
      if (now - lastSweep > 60_000) {
        dropExpired.run(now);
        lastSweep = now;
      }
      return entries.map(({ tenant, id, position }) => {
        const existing = findClaim.get(tenant, id);
        if (existing && existing.expires_at >= now) return existing.position === position;
        writeClaim.run(tenant, id, position, now + ttlMs);
        return true;
      });
    },
  );

  const writeProgress = db.prepare(
    'INSERT OR REPLACE INTO fold_progress (topic, partition, record_offset, record_ts) VALUES (?, ?, ?, ?)',
  );
  const recordProgress = db.transaction((progress: PartitionProgress[]) => {
    for (const p of progress) writeProgress.run(p.topic, p.partition, p.offset, p.recordTimestamp);
  });
  const readProgress = db.prepare<
    [string],
    { partition: number; record_offset: number; record_ts: number }
  >('SELECT partition, record_offset, record_ts FROM fold_progress WHERE topic = ?');

  const writeMapping = db.prepare(
    'INSERT OR REPLACE INTO topic_mappings (owner, name, stored) VALUES (?, ?, ?)',
  );
  const deleteMapping = db.prepare('DELETE FROM topic_mappings WHERE owner = ? AND name = ?');
  const allMappings = db.prepare<[], { stored: string }>(
    'SELECT stored FROM topic_mappings ORDER BY owner, name',
  );
  const bumpMappingVersion = db.prepare(
    'INSERT INTO mapping_version (id, version) VALUES (1, 1) ON CONFLICT DO UPDATE SET version = version + 1',
  );
  const readMappingVersion = db.prepare<[], { version: number }>(
    'SELECT version FROM mapping_version WHERE id = 1',
  );
  const putMapping = db.transaction((stored: StoredMapping) => {
    writeMapping.run(stored.owner, stored.spec.name, JSON.stringify(stored));
    bumpMappingVersion.run();
  });
  const removeMapping = db.transaction((owner: string, name: string) => {
    const { changes } = deleteMapping.run(owner, name);
    bumpMappingVersion.run();
    return changes > 0;
  });

  const reference: ReferenceStore = {
    async putLookup(tenant, table, keyDimension, rows) {
      putLookup(tenant, table, keyDimension, rows);
      return rows.length;
    },
    async version() {
      return String(readVersion.get()?.version ?? 0);
    },
    async lookups() {
      const tables = new Map<string, LookupTable>();
      const byTenant = new Map<string, LookupTable[]>();
      for (const row of allTables.all()) {
        const table: LookupTable = {
          table: row.name,
          keyDimension: row.key_dimension,
          rows: new Map(),
        };
        tables.set(JSON.stringify([row.tenant, row.name]), table);
        byTenant.set(row.tenant, [...(byTenant.get(row.tenant) ?? []), table]);
      }
      for (const row of allRows.all())
        tables
          .get(JSON.stringify([row.tenant, row.name]))
          ?.rows.set(row.key, JSON.parse(row.vals) as Record<string, string>);
      return byTenant;
    },
    async close() {},
  };

  return {
    reference,
    dedup: { claim: async (entries, ttlMs) => claim(entries, ttlMs), close: async () => {} },
    progress: {
      record: async (progress) => recordProgress(progress),
      read: async (topics) =>
        topics.flatMap((topic) =>
          readProgress.all(topic).map((row) => ({
            topic,
            partition: row.partition,
            offset: row.record_offset,
            recordTimestamp: row.record_ts,
          })),
        ),
      close: async () => {},
    },
    mappings: {
      async put(owner, spec) {
        const stored: StoredMapping = { owner, spec, updatedAt: clock() };
        putMapping(stored);
        return stored;
      },
      remove: async (owner, name) => removeMapping(owner, name),
      list: async () => allMappings.all().map((row) => JSON.parse(row.stored) as StoredMapping),
      version: async () => String(readMappingVersion.get()?.version ?? 0),
    },
    close: () => db.close(),
  };
}
