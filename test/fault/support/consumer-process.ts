// Runs consumers/fold.ts as child processes with the settings of one test, and keeps what they
// print so a test can ask whether a process is alive, what it logged and how it exited.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Admin } from 'kafkajs';
import { expect } from 'vitest';
import { tenantKeys } from '../../support/generator.js';
import { freshName, testEnv, waitFor } from '../../support/services.js';

/**
 * The settings of a fold consumer on the run's services, reading `topic` in a group and under a
 * Redis key prefix of its own; `overrides` point it at private services or change limits.
 */
export function foldSettings(
  topic: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const services = testEnv();
  return {
    KAFKA_BROKERS: services.KAFKA_BROKERS,
    REDIS_URL: services.REDIS_URL,
    CLICKHOUSE_URL: services.CLICKHOUSE_URL,
    CLICKHOUSE_DATABASE: services.CLICKHOUSE_DATABASE,
    REDIS_PREFIX: `${services.REDIS_PREFIX}.${topic.split('.').at(-1)}`,
    INGEST_TOPICS: topic,
    DEAD_LETTER_TOPIC: `${topic}.dlq`,
    CONSUMER_GROUP: freshName('fold-group'),
    API_KEYS: tenantKeys(),
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    ...overrides,
  };
}

export interface ConsumerProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Its JSON log lines whose `msg` is `message`. */
  logs(message: string): Record<string, unknown>[];
  alive(): boolean;
  /** Settles once it exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ConsumerProcesses {
  /** Spawns one and resolves once it logged "fold consumer started". */
  start(): Promise<ConsumerProcess>;
  /** SIGKILLs the ones still running (for afterAll). */
  killAll(): void;
}

export function createConsumerProcesses(env: Record<string, string>): ConsumerProcesses {
  const running = new Set<ChildProcess>();
  return {
    start() {
      const child = spawn(process.execPath, ['--import', 'tsx', 'consumers/fold.ts'], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      running.add(child);
      let output = '';
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
        (resolve) =>
          child.once('exit', (code, signal) => {
            running.delete(child);
            resolve({ code, signal });
          }),
      );
      const handle: ConsumerProcess = {
        child,
        output: () => output,
        logs: (message) =>
          output
            .split('\n')
            .filter((line) => line.startsWith('{') && line.includes(message))
            .map((line) => JSON.parse(line) as Record<string, unknown>)
            .filter((entry) => entry.msg === message),
        alive: () => child.exitCode === null && child.signalCode === null,
        exited,
      };
      return new Promise((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('fold consumer started')) resolve(handle);
        });
        child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
        void exited.then(({ code, signal }) =>
          reject(
            new Error(
              `consumer exited (${code ?? signal}) before starting:\n${output.slice(-3000)}`,
            ),
          ),
        );
      });
    },
    killAll() {
      for (const child of running) child.kill('SIGKILL');
    },
  };
}

/** Member ids of a consumer group now: a member whose session timed out comes back as another. */
export async function groupMembers(admin: Admin, groupId: string): Promise<string[]> {
  const { groups } = await admin.describeGroups([groupId]);
  return groups[0]!.members.map((member) => member.memberId);
}

/**
 * Waits until `consumer` said it waits for `step` and the outage that began at `since` lasted two
 * session timeouts, then checks that it rode the outage out so far: alive, still retrying a
 * session timeout into it, never stopped by an error.
 */
export async function expectWaiting(
  consumer: ConsumerProcess,
  options: { since: number; sessionTimeoutMs: number; step?: string },
): Promise<void> {
  const waits = () =>
    consumer
      .logs('fold waiting for a dependency')
      .filter((w) => options.step === undefined || w.step === options.step);
  // Generous: a batch in flight when the store went away first runs into the client's timeout.
  await waitFor(() => waits().length > 0, {
    timeout: 45_000,
    message: `the consumer saying it waits${options.step ? ` for ${options.step}` : ''}`,
  });
  await waitFor(() => Date.now() - options.since > 2 * options.sessionTimeoutMs, {
    timeout: 2 * options.sessionTimeoutMs + 10_000,
    interval: 250,
  });
  expect(consumer.alive()).toBe(true);
  expect(Number(waits().at(-1)!.time) - options.since).toBeGreaterThan(options.sessionTimeoutMs);
  expect(consumer.logs('kafka: consumer stopped by an error')).toEqual([]);
}

/** Never stopped by an error, and SIGTERM makes it exit 0. */
export async function expectCleanStop(consumer: ConsumerProcess): Promise<void> {
  expect(consumer.logs('kafka: consumer stopped by an error')).toEqual([]);
  consumer.child.kill('SIGTERM');
  expect((await consumer.exited).code).toBe(0);
}
