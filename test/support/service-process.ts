// Runs an entry point of the service (src/main.ts, consumers/fold.ts) as a child process, as a
// supervisor would, and reads its JSON log lines; `startService` is `npm start` on the embedded
// engines, talked to through its public API.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './services.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const running = new Set<ChildProcess>();

export interface ServiceProcess {
  pid: number;
  /** Everything it wrote so far (stdout and stderr). */
  output(): string;
  /** Its JSON log lines so far. */
  lines(): Record<string, unknown>[];
  /** Waits for the first line whose `msg` starts with `message`, and returns it. */
  line(message: string, timeout?: number): Promise<Record<string, unknown>>;
  /** Sends `signal`; resolves with the exit code (null when the signal ended it). */
  stop(signal: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** SIGKILLs every child still running (for afterAll). */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** `env` adds to the test process's environment; an undefined value removes a setting. */
export function spawnService(
  entry: string,
  env: Record<string, string | undefined>,
): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', ...env },
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
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const lines = () =>
    output
      .split('\n')
      .slice(0, -1) // the last one may be incomplete
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    pid: child.pid!,
    output: () => output,
    lines,
    line(message, timeout = 30_000) {
      const died = exited.then((code) => {
        throw new Error(`${entry} exited (${code}) before "${message}":\n${output.slice(-3000)}`);
      });
      died.catch(() => {}); // settles after the race when the process outlives the wait
      return Promise.race([
        waitFor(() => lines().find((l) => String(l.msg).startsWith(message)), {
          timeout,
          interval: 50,
          message: `${entry} to log "${message}"`,
        }),
        died,
      ]);
    },
    async stop(signal) {
      child.kill(signal);
      return exited;
    },
    exited,
  };
}

export interface RunningService extends ServiceProcess {
  /** Its /graphql endpoint (it listens on a port of its own choosing). */
  url: string;
  /** Milliseconds from spawn to its "GraphQL API listening" line. */
  startupMs: number;
}

/**
 * `npm start` (`node --import tsx src/main.ts`) on the embedded engines: none of the run's
 * KAFKA_BROKERS, REDIS_URL or CLICKHOUSE_URL, `dataDir` of the test's own, port 0. Resolves once
 * it listens (a restart replays the embedded log first: allowed two minutes).
 */
export async function startService(
  dataDir: string,
  settings: Record<string, string> = {},
): Promise<RunningService> {
  const spawnedAt = performance.now();
  const service = spawnService('src/main.ts', {
    KAFKA_BROKERS: undefined,
    REDIS_URL: undefined,
    CLICKHOUSE_URL: undefined,
    DATA_DIR: dataDir,
    PORT: '0',
    SERVER_HOST: '127.0.0.1',
    ...settings,
  });
  const listening = await service.line('GraphQL API listening', 120_000);
  return {
    ...service,
    url: String(listening.url),
    startupMs: Math.round(performance.now() - spawnedAt),
  };
}
