import type { Engines } from '../app/engines.js';
import type { TopicPartition } from '../ports/event-log.js';
import { withDeadline } from './deadline.js';

/** One dependency /ready asks about. */
export interface ReadinessCheck {
  /** How the /ready body names it: kafka, redis, clickhouse, fold, ... */
  name: string;
  /** Resolves once it answered (with an optional detail for the body); rejects with what is wrong. */
  check(): Promise<unknown>;
}

export interface CheckOutcome {
  ok: boolean;
  ms: number;
  error?: string;
  detail?: unknown;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckOutcome>;
}

/** Runs every check at once, each bounded by `timeoutMs`; ready when all of them answered. */
export async function checkReadiness(
  checks: readonly ReadinessCheck[],
  timeoutMs: number,
): Promise<ReadinessReport> {
  const outcomes = await Promise.all(
    checks.map(async ({ name, check }): Promise<[string, CheckOutcome]> => {
      const started = performance.now();
      const ms = () => Math.round(performance.now() - started);
      try {
        const detail = await withDeadline(check(), timeoutMs, name);
        return [name, isDetail(detail) ? { ok: true, ms: ms(), detail } : { ok: true, ms: ms() }];
      } catch (error) {
        return [name, { ok: false, ms: ms(), error: messageOf(error) }];
      }
    }),
  );
  return {
    ready: outcomes.every(([, outcome]) => outcome.ok),
    checks: Object.fromEntries(outcomes),
  };
}

/**
 * One cheap round trip to each backing store, through the ports: the log's end offsets, the live
 * windows' and the history's stored offsets of one partition (a Redis MGET, a read of ClickHouse's
 * small offsets table; in-process reads on the embedded engines).
 */
export function engineChecks(engines: Engines, topics: readonly string[]): ReadinessCheck[] {
  const names =
    engines.kind === 'real'
      ? { log: 'kafka', live: 'redis', history: 'clickhouse' }
      : { log: 'embedded-log', live: 'embedded-live-windows', history: 'embedded-history' };
  const probe: TopicPartition[] = [{ topic: topics[0]!, partition: 0 }];
  return [
    { name: names.log, check: () => engines.log.endOffsets([...topics]).then(() => undefined) },
    { name: names.live, check: () => engines.live.floors(probe).then(() => undefined) },
    { name: names.history, check: () => engines.history.offsets(probe).then(() => undefined) },
  ];
}

/** Ready once the consumer holds partitions: a member without any folds nothing. */
export function foldCheck(assigned: () => readonly TopicPartition[]): ReadinessCheck {
  return {
    name: 'fold',
    async check() {
      const partitions = assigned().length;
      if (partitions === 0) throw new Error('the consumer has no partitions assigned');
      return { partitions };
    },
  };
}

const isDetail = (value: unknown) => value !== undefined && value !== null;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
