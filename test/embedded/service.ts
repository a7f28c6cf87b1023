// The real service as `npm start` runs it (`node --import tsx src/main.ts`), in a child process on
// the embedded engines: no KAFKA_BROKERS, REDIS_URL or CLICKHOUSE_URL, a DATA_DIR of the test's own,
// port 0 (the service names the port it took in its "listening" line). Talked to only through the
// public GraphQL API.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../support/services.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Set by the services project's setup; the child must not see them, or it would use the real engines. */
const REAL_ENGINE_SETTINGS = ['KAFKA_BROKERS', 'REDIS_URL', 'CLICKHOUSE_URL'];

export interface RunningService {
  url: string;
  pid: number;
  /** Milliseconds from spawn to the "GraphQL API listening" line. */
  startupMs: number;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** Sends `signal` and resolves with the exit code (null when a signal ended it). */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** SIGKILLs every child still running; for afterAll, so a failed test leaves no process behind. */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}

export async function startService(
  dataDir: string,
  settings: Record<string, string> = {},
): Promise<RunningService> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of REAL_ENGINE_SETTINGS) delete env[key];
  Object.assign(env, {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    PORT: '0',
    SERVER_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...settings,
  });
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const listening = await new Promise<{ url: string; at: number }>((resolve, reject) => {
    let pending = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const url = listeningUrl(line);
        if (url) resolve({ url, at: performance.now() });
      }
    });
    void exited.then((code) =>
      reject(new Error(`the service exited (${code}) before listening:\n${output.slice(-4000)}`)),
    );
  });

  return {
    url: listening.url,
    pid: child.pid!,
    startupMs: Math.round(listening.at - spawnedAt),
    output: () => output,
    async stop(signal) {
      child.kill(signal);
      return exited;
    },
  };
}

function listeningUrl(line: string): string | undefined {
  if (!line.includes('GraphQL API listening')) return undefined;
  return (JSON.parse(line) as { url: string }).url;
}

export interface GraphQLResponse<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** POSTs one operation; throws on a transport failure or any GraphQL error. */
export async function graphql<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GraphQLResponse<T>;
  if (body.errors?.length || !body.data)
    throw new Error(`GraphQL error (HTTP ${response.status}): ${JSON.stringify(body.errors)}`);
  return body.data;
}

interface FreshnessAnswer {
  freshness: { behind: number; foldedThrough: string | null };
}

/**
 * Waits until everything in the log when this is called has been folded: `behind` is 0 in an
 * answer computed after the call (foldedThrough is the computing instant when nothing is behind;
 * the API reuses an answer for a moment, so a bare `behind: 0` may predate the last ingest).
 */
export async function waitUntilFolded(url: string, timeout = 60_000): Promise<void> {
  const since = Date.now();
  await waitFor(
    async () => {
      const { freshness } = await graphql<FreshnessAnswer>(
        url,
        '{ freshness { behind foldedThrough } }',
      );
      return (
        freshness.behind === 0 &&
        freshness.foldedThrough !== null &&
        Date.parse(freshness.foldedThrough) > since
      );
    },
    { timeout, interval: 50, message: 'the fold to catch up with the log' },
  );
}
