// Private Redis and ClickHouse servers for fault tests that stop and restart a service: each runs
// through `scripts/stack.sh start|stop` under its own temporary STACK_DIR on free loopback ports,
// so the shared instances other tests use are never touched. And private databases on the run's
// ClickHouse, for tests whose ground truth must not see other tests' events.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient } from '@clickhouse/client';
import { createMigrator } from '../../src/adapters/clickhouse/migrate.js';
import { identifier } from '../../src/adapters/clickhouse/sql.js';
import { testEnv } from './services.js';

const STACK = fileURLToPath(new URL('../../scripts/stack.sh', import.meta.url));
const run = promisify(execFile);

export interface PrivateService {
  /** redis://… or http://… */
  url: string;
  /** Its STACK_DIR: the data lives here across stop() and start(). */
  dir: string;
  /** Starts it (again, on the same port and data) and waits until it answers. */
  start(): Promise<void>;
  /** Graceful stop (SIGTERM; Redis persists its append-only file first). */
  stop(): Promise<void>;
  /** Stops it and deletes its data. */
  remove(): Promise<void>;
}

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function privateService(
  service: 'redis' | 'clickhouse',
  url: string,
  settings: Record<string, string>,
): Promise<PrivateService> {
  const dir = await mkdtemp(join(tmpdir(), `pulsegraph-${service}-`));
  const stack = async (command: 'start' | 'stop') => {
    try {
      await run('bash', [STACK, command, service], {
        env: { ...process.env, STACK_DIR: dir, ...settings },
      });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`stack.sh ${command} ${service} failed:\n${stdout}${stderr}`, {
        cause: error,
      });
    }
  };
  const handle: PrivateService = {
    url,
    dir,
    start: () => stack('start'),
    stop: () => stack('stop'),
    async remove() {
      await stack('stop');
      await rm(dir, { recursive: true, force: true });
    },
  };
  await handle.start();
  return handle;
}

/** A Redis of its own that keeps its data across stop() and start() (append-only file). */
export async function startPrivateRedis(): Promise<PrivateService> {
  const port = String(await freePort());
  return privateService('redis', `redis://127.0.0.1:${port}`, {
    STACK_REDIS_PORT: port,
    STACK_REDIS_APPENDONLY: 'yes',
  });
}

/** A ClickHouse server of its own with `database` created and migrated. */
export async function startPrivateClickHouse(database: string): Promise<PrivateService> {
  const http = String(await freePort());
  const tcp = String(await freePort());
  const service = await privateService('clickhouse', `http://127.0.0.1:${http}`, {
    STACK_CLICKHOUSE_HTTP_PORT: http,
    STACK_CLICKHOUSE_TCP_PORT: tcp,
  });
  const client = createClient({ url: service.url });
  try {
    await createMigrator({ client, database }).apply();
  } catch (error) {
    await service.remove();
    throw error;
  } finally {
    await client.close();
  }
  return service;
}

export interface PrivateDatabase {
  database: string;
  drop(): Promise<void>;
}

/** A migrated database `<run database>_<name>` of its own on the run's ClickHouse. */
export async function createPrivateDatabase(name: string): Promise<PrivateDatabase> {
  const services = testEnv();
  const database = `${services.CLICKHOUSE_DATABASE}_${name}`;
  const client = createClient({ url: services.CLICKHOUSE_URL });
  try {
    await createMigrator({ client, database }).apply();
  } finally {
    await client.close();
  }
  return {
    database,
    async drop() {
      const admin = createClient({ url: services.CLICKHOUSE_URL });
      try {
        await admin.command({ query: `DROP DATABASE IF EXISTS ${identifier(database)}` });
      } finally {
        await admin.close();
      }
    },
  };
}
