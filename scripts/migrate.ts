// Applies the ClickHouse migrations: `npm run migrate`, or `npm run migrate -- --check` to only
// list the pending ones (exit 1 when there are any).
// Settings: CLICKHOUSE_URL (else the one in .stack/env written by scripts/stack.sh),
// CLICKHOUSE_DATABASE (default analytics), CLICKHOUSE_USER, CLICKHOUSE_PASSWORD.
import { existsSync, readFileSync } from 'node:fs';
import { createClient } from '@clickhouse/client';
import { createMigrator } from '../src/adapters/clickhouse/migrate.js';

function stackSetting(name: string): string | undefined {
  const file = new URL('../.stack/env', import.meta.url);
  if (!existsSync(file)) return undefined;
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}=`));
  return line?.slice(name.length + 1).trim();
}

const check = process.argv.includes('--check');
const url = process.env.CLICKHOUSE_URL || stackSetting('CLICKHOUSE_URL');
const database = process.env.CLICKHOUSE_DATABASE || 'analytics';

if (!url) {
  console.error('migrate: set CLICKHOUSE_URL (or start the stack: npm run stack:up)');
  process.exit(2);
}

const client = createClient({
  url,
  // Only when set, so that credentials inside CLICKHOUSE_URL keep working.
  ...(process.env.CLICKHOUSE_USER ? { username: process.env.CLICKHOUSE_USER } : {}),
  ...(process.env.CLICKHOUSE_PASSWORD ? { password: process.env.CLICKHOUSE_PASSWORD } : {}),
});
const migrator = createMigrator({
  client,
  database,
  log: (message) => console.log(`migrate: ${message}`),
});

let code = 0;
try {
  if (check) {
    const pending = await migrator.pending();
    if (pending.length > 0) {
      console.log(`migrate: ${pending.length} pending in ${database} at ${url}:`);
      for (const name of pending) console.log(`  ${name}`);
      code = 1;
    } else {
      console.log(`migrate: ${database} at ${url} is up to date`);
    }
  } else {
    const applied = await migrator.apply();
    console.log(
      applied.length > 0
        ? `migrate: applied ${applied.length} migration(s) to ${database}`
        : `migrate: ${database} is up to date`,
    );
  }
} catch (error) {
  console.error(`migrate: ${error instanceof Error ? error.message : String(error)}`);
  code = 1;
} finally {
  await client.close();
}
process.exitCode = code;
