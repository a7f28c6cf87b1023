import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';

/**
 * ClickHouse schema migrations: `migrations/NNNN_snake_name.sql`, applied in name order, each
 * recorded by file name in `<database>.schema_migrations` once all its statements succeeded.
 * DDL in the files is expected to be idempotent (`IF NOT EXISTS`), so a file interrupted half-way
 * is simply applied again. The runner never exits the process: it throws `MigrationError`.
 *
 * Runs on ClickHouse 18.16 as on current versions: no query parameters, and the target database
 * is selected with `USE` inside an HTTP session (18.16 has no per-request database header).
 */

export const MIGRATION_FILE_PATTERN = /^(\d{4})_[a-z0-9]+(?:_[a-z0-9]+)*\.sql$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const TABLE = 'schema_migrations';

/** The repository's `migrations/` folder. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(
  new URL('../../../migrations/', import.meta.url),
);

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export interface MigrationFile {
  /** File name, e.g. `0001_events.sql`: the migration's identity. */
  name: string;
  number: number;
  sql: string;
  /** sha256 of the file's text, recorded for information. */
  checksum: string;
}

export interface MigratorOptions {
  client: ClickHouseClient;
  database: string;
  /** Defaults to the repository's `migrations/` folder. */
  directory?: string;
  /** Progress messages (one per applied file); silent by default. */
  log?: (message: string) => void;
}

export interface Migrator {
  /** Creates the database and the record table when missing, applies every pending file in name order; returns their names. */
  apply(): Promise<string[]>;
  /** Names of the files not yet recorded as applied (read-only: creates nothing). */
  pending(): Promise<string[]>;
}

/** Reads and validates the migration files of a folder, sorted by name. */
export async function loadMigrations(
  directory: string = DEFAULT_MIGRATIONS_DIR,
): Promise<MigrationFile[]> {
  let names: string[];
  try {
    names = (await readdir(directory)).filter((name) => name.endsWith('.sql')).sort();
  } catch (error) {
    throw new MigrationError(`cannot read migrations folder ${directory}: ${String(error)}`);
  }
  const seen = new Map<number, string>();
  const files: MigrationFile[] = [];
  for (const name of names) {
    const match = MIGRATION_FILE_PATTERN.exec(name);
    if (!match)
      throw new MigrationError(`migration file ${name} does not match NNNN_snake_name.sql`);
    const number = Number(match[1]);
    const other = seen.get(number);
    if (other)
      throw new MigrationError(`migrations ${other} and ${name} share the number ${match[1]}`);
    seen.set(number, name);
    const sql = await readFile(`${directory.replace(/\/$/, '')}/${name}`, 'utf8');
    if (splitStatements(sql).length === 0)
      throw new MigrationError(`migration ${name} holds no statement`);
    files.push({ name, number, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return files;
}

/**
 * Splits SQL text into statements at `;` outside string literals, quoted identifiers and
 * comments. `--` and `/* *\/` comments are dropped; empty statements are skipped.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  const push = () => {
    const statement = current.trim();
    if (statement.length > 0) statements.push(statement);
    current = '';
  };
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end; // keep the newline itself
      continue;
    }
    if (ch === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) throw new MigrationError('unterminated /* comment');
      current += ' ';
      i = end + 2;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') {
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw new MigrationError(`unterminated ${ch} quote`);
        const c = sql[j]!;
        if (c === '\\') j += 2;
        else if (c === ch && sql[j + 1] === ch)
          j += 2; // doubled quote
        else if (c === ch) break;
        else j += 1;
      }
      current += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === ';') {
      push();
      i += 1;
      continue;
    }
    current += ch;
    i += 1;
  }
  push();
  return statements;
}

export function createMigrator({
  client,
  database,
  directory,
  log = () => undefined,
}: MigratorOptions): Migrator {
  if (!IDENTIFIER.test(database))
    throw new MigrationError(`database name ${JSON.stringify(database)} is not a plain identifier`);
  const db = `\`${database}\``;

  async function tableExists(): Promise<boolean> {
    // database is a validated identifier, so quoting it inline is safe (18.16 has no query parameters).
    const result = await client.query({
      query: `SELECT count() AS n FROM system.tables WHERE database = '${database}' AND name = '${TABLE}'`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ n: string | number }>();
    return Number(rows[0]?.n ?? 0) > 0;
  }

  async function appliedNames(): Promise<Set<string>> {
    if (!(await tableExists())) return new Set();
    const result = await client.query({
      query: `SELECT name FROM ${db}.${TABLE}`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ name: string }>();
    return new Set(rows.map((row) => row.name));
  }

  async function pendingFiles(): Promise<MigrationFile[]> {
    const [files, applied] = await Promise.all([loadMigrations(directory), appliedNames()]);
    return files.filter((file) => !applied.has(file.name));
  }

  return {
    async pending() {
      return (await pendingFiles()).map((file) => file.name);
    },

    async apply() {
      await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
      await client.command({
        query: `CREATE TABLE IF NOT EXISTS ${db}.${TABLE} (name String, checksum String, applied_at DateTime) ENGINE = MergeTree() ORDER BY name`,
      });
      const todo = await pendingFiles();
      if (todo.length === 0) return [];
      // One session per run: `USE` makes the files' unqualified names land in the target database.
      const session_id = `migrate-${randomUUID()}`;
      await client.command({ query: `USE ${db}`, session_id });
      const done: string[] = [];
      for (const file of todo) {
        const statements = splitStatements(file.sql);
        for (const [index, statement] of statements.entries()) {
          try {
            await client.command({ query: statement, session_id });
          } catch (error) {
            throw new MigrationError(
              `migration ${file.name}, statement ${index + 1} of ${statements.length} failed: ${error instanceof Error ? error.message : String(error)}`,
              { cause: error },
            );
          }
        }
        // name matches MIGRATION_FILE_PATTERN and checksum is hex: nothing to escape.
        await client.command({
          query: `INSERT INTO ${db}.${TABLE} (name, checksum, applied_at) VALUES ('${file.name}', '${file.checksum}', now())`,
        });
        done.push(file.name);
        log(`applied ${file.name} to ${database}`);
      }
      return done;
    },
  };
}
