// A fold built straight on an engine set, for tests that drive its handlers by hand.
import type { Engines } from '../../src/app/engines.js';
import type { Config } from '../../src/config.js';
import { eventLimitsFrom } from '../../src/events/validate.js';
import type { FoldOptions } from '../../src/fold/fold.js';
import type { LogRecord, PartitionBatch, TopicPartition } from '../../src/ports/event-log.js';

/** Fold options on `engines` for tenant `default`, dead letters dropped; `overrides` win. */
export function testFoldOptions(
  engines: Engines,
  config: Config,
  overrides: Partial<FoldOptions> = {},
): FoldOptions {
  return {
    live: engines.live,
    history: engines.history,
    holds: engines.holds,
    dedup: engines.dedup,
    reference: engines.reference,
    changes: engines.changes,
    progress: engines.progress,
    deadLetters: { send: async () => undefined },
    decode: {
      limits: eventLimitsFrom(config.fold),
      maxMessageBytes: config.fold.MAX_MESSAGE_BYTES,
      defaultTenant: 'default',
      isKnownTenant: (tenant) => tenant === 'default',
    },
    dedupTtlMs: 60_000,
    historyFlushRows: 10_000,
    historyFlushMs: 0,
    ...overrides,
  };
}

/** A batch of `count` `view` events at offsets 0.., stamped now, that counts its heartbeats. */
export function viewBatch(partition: TopicPartition, count: number) {
  const now = Date.now();
  const records: LogRecord[] = Array.from({ length: count }, (_, offset) => ({
    ...partition,
    offset,
    timestamp: now,
    key: null,
    headers: {},
    value: Buffer.from(JSON.stringify({ name: 'view', timestamp: new Date(now).toISOString() })),
  }));
  let heartbeats = 0;
  const batch: PartitionBatch = {
    ...partition,
    records,
    highWatermark: count,
    heartbeat: async () => void heartbeats++,
    isStale: () => false,
  };
  return { batch, heartbeats: () => heartbeats };
}
