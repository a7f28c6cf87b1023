import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MIGRATIONS_DIR,
  MIGRATION_FILE_PATTERN,
  MigrationError,
  loadMigrations,
  splitStatements,
} from '../../src/adapters/clickhouse/migrate.js';

describe('migrations/ folder', () => {
  it('holds only NNNN_snake_name.sql files with unique numbers', async () => {
    const names = (await readdir(DEFAULT_MIGRATIONS_DIR)).filter((name) => !name.startsWith('.'));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names)
      expect(name, `${name} should match NNNN_snake_name.sql`).toMatch(MIGRATION_FILE_PATTERN);
    const numbers = names.map((name) => name.slice(0, 4));
    const duplicates = numbers.filter((n, i) => numbers.indexOf(n) !== i);
    expect(duplicates, 'migration numbers must be unique').toEqual([]);
  });

  it('loads in name order, each with at least one statement', async () => {
    const files = await loadMigrations();
    expect(files.map((f) => f.name)).toEqual([...files.map((f) => f.name)].sort());
    expect(files[0]?.name).toBe('0001_events.sql');
    for (const file of files) expect(splitStatements(file.sql).length).toBeGreaterThan(0);
  });
});

describe('loadMigrations', () => {
  const withFiles = async (
    files: Record<string, string>,
    check: (dir: string) => Promise<void>,
  ) => {
    const dir = await mkdtemp(join(tmpdir(), 'migrations-'));
    try {
      for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql);
      await check(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  it('rejects a duplicate number', () =>
    withFiles({ '0001_a.sql': 'SELECT 1', '0001_b.sql': 'SELECT 2' }, async (dir) => {
      await expect(loadMigrations(dir)).rejects.toThrow(/share the number 0001/);
    }));

  it('rejects a badly named file', () =>
    withFiles({ '1_CamelCase.sql': 'SELECT 1' }, async (dir) => {
      await expect(loadMigrations(dir)).rejects.toBeInstanceOf(MigrationError);
    }));

  it('sorts by name and ignores other files', () =>
    withFiles(
      { '0002_b.sql': 'SELECT 2', '0001_a.sql': 'SELECT 1', 'README.md': '# x' },
      async (dir) => {
        expect((await loadMigrations(dir)).map((f) => f.name)).toEqual([
          '0001_a.sql',
          '0002_b.sql',
        ]);
      },
    ));
});

describe('splitStatements', () => {
  it('splits at ; and drops comments', () => {
    const sql = `-- a table
CREATE TABLE a (x UInt8) ENGINE = Memory;
/* block
   comment; with a semicolon */
CREATE TABLE b (y String) ENGINE = Memory; -- trailing comment; here

-- only a comment;
`;
    expect(splitStatements(sql)).toEqual([
      'CREATE TABLE a (x UInt8) ENGINE = Memory',
      'CREATE TABLE b (y String) ENGINE = Memory',
    ]);
  });

  it('keeps ; and -- inside quotes', () => {
    const sql = `INSERT INTO t VALUES ('a;b', 'it''s -- not a comment', 'x\\';y');
SELECT \`we;ird\`, "id;2" FROM t`;
    expect(splitStatements(sql)).toEqual([
      `INSERT INTO t VALUES ('a;b', 'it''s -- not a comment', 'x\\';y')`,
      'SELECT `we;ird`, "id;2" FROM t',
    ]);
  });

  it('returns nothing for comments only, and fails on an open quote', () => {
    expect(splitStatements('-- nothing\n\n  ;\n')).toEqual([]);
    expect(() => splitStatements("SELECT 'open")).toThrow(MigrationError);
  });
});
