import { setImmediate as nextTurn } from 'node:timers/promises';
import type { PositionedEvent } from '../events/event.js';
import { decodeRecords, type DecodeOptions, type DecodeRejection } from '../events/decode.js';
import {
  partitionKey,
  type ConsumerHandlers,
  type PartitionBatch,
  type TopicPartition,
} from '../ports/event-log.js';
import type { FoldProgressStore } from '../ports/fold-progress.js';
import type { DedupStore, ReferenceStore } from '../ports/reference-data.js';
import type { DeadLetterSink } from './dead-letters.js';
import { createEnricher } from './enrich.js';
import type { FoldMetrics } from './metrics.js';
import { retryWhileUnavailable } from './retry.js';
import type { FoldSink, SinkWrite } from './sink.js';

export interface FoldOptions {
  /** The one sink this fold (a lane, with a consumer group of its own) writes. */
  sink: FoldSink;
  dedup: DedupStore;
  reference: ReferenceStore;
  progress: FoldProgressStore;
  /** Where rejected records go: every lane reads the same records, so one lane sends them. */
  deadLetters?: DeadLetterSink;
  decode: DecodeOptions;
  dedupTtlMs: number;
  /** Shared by the lanes: counts are labelled with the sink. */
  metrics: FoldMetrics;
  onRetry?: (step: string, error: unknown, attempt: number) => void;
}

/**
 * Folds partition batches into one sink, exactly once in effect: the sink keeps the offset it
 * applied per partition atomically with its writes, and every batch is filtered against it, so
 * a redelivered record is skipped. The log's committed offset is only an optimisation.
 * Event-id claims are shared by the lanes: a claim held by the same record is granted again, so
 * every lane keeps the same event of a repeated id.
 */
export function createFold(options: FoldOptions): ConsumerHandlers {
  const { sink, metrics } = options;
  const step = sink.name;
  const enricher = createEnricher(options.reference);
  /** What the sink already holds of a partition: records up to this offset are applied. */
  const offsets = new Map<string, number>();

  async function loadOffsets(partitions: TopicPartition[]): Promise<number[]> {
    const held = await sink.offsets(partitions);
    return partitions.map((partition, i) => {
      const offset = held[i] ?? -1;
      offsets.set(partitionKey(partition), offset);
      return offset;
    });
  }

  /**
   * Steps start one at a time, each in a turn of the event loop of its own. Catching up is
   * CPU-bound: a step of a big batch can hold the thread for a second or more, and when the
   * batches in flight ran theirs back to back (their replies arrive together) the consumer's
   * heartbeat timer, and kafkajs' heartbeat itself (several promise hops before it writes),
   * waited for all of them: longer than a session. Between two turns timers and I/O run.
   */
  let turns: Promise<unknown> = Promise.resolve();
  const ownTurn = () => (turns = turns.then(() => nextTurn()));

  /** Runs one step of a batch, retried (heartbeating) while a dependency is unavailable. */
  const retrying = async <T>(batch: PartitionBatch, name: string, work: () => Promise<T>) => {
    await ownTurn();
    batch.heartbeat().catch(() => undefined);
    return retryWhileUnavailable(work, {
      giveUp: () => batch.isStale(),
      onWait: async (error, attempt) => {
        metrics.retries.inc(name);
        options.onRetry?.(name, error, attempt);
        await batch.heartbeat().catch(() => undefined);
      },
    });
  };

  async function foldBatch(batch: PartitionBatch, write: SinkWrite): Promise<void> {
    const key = partitionKey(batch);
    const applied =
      offsets.get(key) ?? (await retrying(batch, 'load-offsets', () => loadOffsets([batch])))[0]!;
    const records = batch.records.filter((record) => record.offset > applied);
    if (records.length === 0) return;
    const first = records[0]!;
    const last = records[records.length - 1]!;

    const decoded = decodeRecords(records, options.decode);
    metrics.observeBatch(step, records.length);
    const { deadLetters } = options;
    // Independent of each other: one wait instead of three round trips in a row.
    const [claims] = await Promise.all([
      retrying(batch, 'dedup', () => claimGivenIds(decoded.events, decoded.idGiven)),
      retrying(batch, 'lookups', () => enricher.refresh()),
      deadLetters && decoded.rejections.length > 0
        ? retrying(batch, 'dead-letter', () => deadLetters.send(decoded.rejections))
        : undefined,
    ]);
    if (deadLetters) countRejections(decoded.rejections);
    const events = keepFirstClaims(decoded.events, claims);
    metrics.duplicates.inc(step, decoded.events.length - events.length);
    for (const event of events) enricher.enrich(event);

    await retrying(batch, step, () =>
      write.write({
        topic: batch.topic,
        partition: batch.partition,
        events,
        fromOffset: first.offset,
        toOffset: last.offset,
      }),
    );
    offsets.set(key, last.offset);
    await retrying(batch, 'progress', () =>
      options.progress.record(step, [
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: last.offset,
          recordTimestamp: last.timestamp,
        },
      ]),
    );
    metrics.folded.inc(step, events.length);
  }

  /** Only producer-given ids can repeat across records; the others are unique by position. */
  async function claimGivenIds(events: PositionedEvent[], idGiven: boolean[]): Promise<boolean[]> {
    const given: { tenant: string; id: string; position: string }[] = [];
    for (let i = 0; i < events.length; i++) {
      if (!idGiven[i]) continue;
      const e = events[i]!;
      given.push({ tenant: e.tenant, id: e.id, position: `${e.topic}:${e.partition}:${e.offset}` });
    }
    const claimed = given.length > 0 ? await options.dedup.claim(given, options.dedupTtlMs) : [];
    let next = 0;
    return idGiven.map((isGiven) => (isGiven ? claimed[next++]! : true));
  }

  function countRejections(rejections: DecodeRejection[]) {
    for (const rejection of rejections) metrics.deadLettered.inc(rejection.step);
  }

  return {
    async onAssigned(partitions) {
      offsets.clear();
      const held = await untilAvailable(() => loadOffsets(partitions));
      const starts = partitions.map((p, i) => ({ ...p, offset: held[i]! }));
      await untilAvailable(() => lowerProgressTo(starts));
      return new Map(starts.map((p) => [partitionKey(p), p.offset + 1]));
    },
    async onRevoked(partitions) {
      for (const partition of partitions) offsets.delete(partitionKey(partition));
    },
    async onBatch(batch) {
      const write = sink.begin();
      try {
        await foldBatch(batch, write);
      } finally {
        write.done();
      }
    },
  };

  function untilAvailable<T>(work: () => Promise<T>) {
    return retryWhileUnavailable(work, { giveUp: () => false });
  }

  /**
   * Progress says what the sink holds, and freshness trusts it. A sink that lost what it held
   * (in-memory live windows after a restart, a Redis without persistence) is refilled from the
   * log: until then the progress recorded before must not claim those records. The time of the
   * record the sink now ends at is unknown: 0 (freshness says "unknown" while behind).
   */
  async function lowerProgressTo(held: (TopicPartition & { offset: number })[]) {
    const topics = [...new Set(held.map((p) => p.topic))];
    const recorded = new Map(
      (await options.progress.read(topics, step)).map((p) => [partitionKey(p), p]),
    );
    const ahead = held.filter((p) => (recorded.get(partitionKey(p))?.offset ?? -1) > p.offset);
    if (ahead.length > 0)
      await options.progress.record(
        step,
        ahead.map((p) => ({ ...p, recordTimestamp: 0 })),
      );
  }
}

/**
 * The events the id store let through, without repeats inside the batch: ids repeated inside one
 * batch (or one array message) share a position, so the store's claim cannot tell them apart.
 */
function keepFirstClaims(events: PositionedEvent[], claims: boolean[]): PositionedEvent[] {
  const kept: PositionedEvent[] = [];
  const seen = new Map<string, Set<string>>();
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    let ids = seen.get(event.tenant);
    if (!ids) seen.set(event.tenant, (ids = new Set()));
    if (ids.has(event.id)) continue;
    ids.add(event.id);
    if (claims[i]) kept.push(event);
  }
  return kept;
}
