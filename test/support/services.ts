// Helpers for tests of the `services` project (anything under test/ but test/unit/): the run's
// settings, fresh Kafka names, and polling with a deadline instead of fixed sleeps.
import { randomInt } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { inject } from 'vitest';
import type { TestServices } from '../setup/global-setup.js';

export type { TestServices };

/** The run's settings: engines, its own ClickHouse database, its Redis key prefix, its run id. */
export function testEnv(): TestServices {
  return inject('services');
}

/** kafkajs client for the run's brokers, quiet unless KAFKA_LOG=1. */
export function testKafka(clientId = 'test'): Kafka {
  return new Kafka({
    clientId,
    brokers: testEnv().KAFKA_BROKERS.split(','),
    logLevel: process.env.KAFKA_LOG === '1' ? logLevel.INFO : logLevel.NOTHING,
  });
}

/** A name unique to this test run under its prefix: `t<runid>.<base>.<n>`. Use for groups too. */
export function freshName(base: string): string {
  return `t${testEnv().TEST_RUN_ID}.${base}.${randomInt(0, 2 ** 31)}`;
}

/** Creates a new topic `t<runid>.<base>.<n>` (removed at the end of the run) and returns its name. */
export async function freshTopic(base: string, partitions = 4): Promise<string> {
  const admin = testKafka('test-fresh-topic').admin();
  await admin.connect();
  try {
    for (;;) {
      const topic = freshName(base);
      const created = await admin.createTopics({
        topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      if (created) return topic;
    }
  } finally {
    await admin.disconnect();
  }
}

export interface WaitForOptions {
  /** Give up after this many ms (default 10 000). */
  timeout?: number;
  /** Poll every this many ms (default 100). */
  interval?: number;
  /** Named in the error when the deadline passes. */
  message?: string;
}

/**
 * Polls `fn` until it returns a truthy value (which is returned) without throwing. When the
 * deadline passes, fails with the last error thrown, or says the last value was falsy.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const { timeout = 10_000, interval = 100, message } = options;
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  let lastValue: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
      lastValue = value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(interval, Math.max(0, deadline - Date.now()))),
    );
  }
  const what = message ? `${message}: ` : '';
  if (lastError !== undefined) {
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw new Error(`${what}waitFor gave up after ${timeout} ms; last error: ${reason}`, {
      cause: lastError,
    });
  }
  throw new Error(
    `${what}waitFor gave up after ${timeout} ms; last value: ${JSON.stringify(lastValue)}`,
  );
}
