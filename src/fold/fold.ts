import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { PositionedEvent } from '../events/event.js';
import { decodeRecords, type DecodeOptions, type DecodeRejection } from '../events/decode.js';
import type { ChangeFeed, ChangeNotice } from '../ports/change-feed.js';
import {
  partitionKey,
  type BatchOutcome,
  type ConsumerHandlers,
  type PartitionBatch,
  type TopicPartition,
} from '../ports/event-log.js';
import type { FoldProgressStore } from '../ports/fold-progress.js';
import type { HistoryHolds } from '../ports/history-holds.js';
import type { HistoryStore } from '../ports/history.js';
import type { LiveGroupDelta, LiveWindowStore } from '../ports/live-windows.js';
import type { DedupStore, ReferenceStore } from '../ports/reference-data.js';
import type { DeadLetterSink } from './dead-letters.js';
import { createEnricher } from './enrich.js';
import { createHistoryPump } from './history-pump.js';
import { createLiveMerger, type LiveTicket } from './live-merger.js';
import { createFoldMetrics, type FoldMetrics } from './metrics.js';
import { retryWhileUnavailable } from './retry.js';

export interface FoldOptions {
  live: LiveWindowStore;
  history: HistoryStore;
  holds: HistoryHolds;
  dedup: DedupStore;
  reference: ReferenceStore;
  changes: ChangeFeed;
  progress: FoldProgressStore;
  deadLetters: DeadLetterSink;
  decode: DecodeOptions;
  dedupTtlMs: number;
  /** Rows per history insert at most (and waiting for one, at most). */
  historyFlushRows: number;
  /** At most one history insert per this long. */
  historyFlushMs: number;
  clock?: () => number;
  /** Brings the topic mappings up to date: run before each batch is decoded, as a step. */
  refreshMappings?: () => Promise<void>;
  onRetry?: (step: string, error: unknown, attempt: number) => void;
}

export interface Fold extends ConsumerHandlers {
  metrics: FoldMetrics;
  /** Its outcome's `durable` resolves once history holds the batch (and progress says so). */
  onBatch(batch: PartitionBatch): Promise<BatchOutcome | void>;
}

/**
 * How long a live write waits at most for the other batches being folded to join it: they are
 * usually a few steps behind (decoding, dedup), well within this.
 */
const LIVE_MERGE_WAIT_MS = 20;

/** How often a partition another consumer holds (HistoryHolds) is looked at again. */
const HOLD_POLL_MS = 25;

/** What each sink already holds of a partition: records up to these offsets are applied. */
interface SinkOffsets {
  live: number;
  history: number;
}

/**
 * Folds partition batches into the live windows and history, exactly once in effect:
 * each sink keeps the offset it applied per partition atomically with its writes, and every
 * batch is filtered against those offsets, so a redelivered record is skipped by the sink that
 * has it and applied by the one that does not. The log's committed offset is only an optimisation.
 * A batch is done once the live windows hold it and its history rows are taken on by the pump
 * (history-pump.ts), which inserts them a few times a second; its partition stays held
 * (HistoryHolds) until they landed, and history's offsets of a partition are read only once
 * nobody holds it. Progress is recorded as rows land after their live write: it says what both
 * sinks hold, and so does the batch's outcome (`durable`), after which the log commits it.
 */
export function createFold(options: FoldOptions): Fold {
  const clock = options.clock ?? Date.now;
  const metrics = createFoldMetrics();
  const enricher = createEnricher(options.reference);
  const offsets = new Map<string, SinkOffsets>();
  const liveMerger = createLiveMerger({
    live: options.live,
    clock,
    onLate: (count) => metrics.late.inc('live', count),
    maxWaitMs: LIVE_MERGE_WAIT_MS,
  });

  async function loadOffsets(partitions: TopicPartition[]): Promise<SinkOffsets[]> {
    while (await options.holds.anyHeld(partitions)) await sleep(HOLD_POLL_MS);
    const [live, history] = await Promise.all([
      options.live.floors(partitions),
      options.history.offsets(partitions),
    ]);
    return partitions.map((partition, i) => {
      const loaded = { live: live[i] ?? -1, history: history[i] ?? -1 };
      offsets.set(partitionKey(partition), loaded);
      return loaded;
    });
  }

  /**
   * Steps start one at a time, each in a turn of the event loop of its own. Catching up is
   * CPU-bound: a step of a big batch can hold the thread for a second or more, and when the
   * batches in flight ran theirs back to back (their replies arrive together) the consumer's
   * heartbeat timer, and kafkajs' heartbeat itself (several promise hops before it writes),
   * waited for all of them: longer than a session. Between two turns timers and I/O run.
   */
  let lane: Promise<unknown> = Promise.resolve();
  const ownTurn = () => (lane = lane.then(() => nextTurn()));

  /**
   * Retries `work` while its dependency is unavailable, counting and reporting every wait; for a
   * batch, heartbeating meanwhile and giving up once the batch is stale.
   */
  const untilAvailable = <T>(step: string, work: () => Promise<T>, batch?: PartitionBatch) =>
    retryWhileUnavailable(work, {
      giveUp: () => batch?.isStale() ?? false,
      onWait: async (error, attempt) => {
        metrics.retries.inc(step);
        options.onRetry?.(step, error, attempt);
        await batch?.heartbeat().catch(() => undefined);
      },
    });

  /** Runs one step of a batch in a turn of its own, retried while a dependency is unavailable. */
  const retrying = async <T>(batch: PartitionBatch, step: string, work: () => Promise<T>) => {
    await ownTurn();
    batch.heartbeat().catch(() => undefined);
    return untilAvailable(step, work, batch);
  };

  const pump = createHistoryPump({
    history: options.history,
    holds: options.holds,
    maxRows: options.historyFlushRows,
    intervalMs: options.historyFlushMs,
    clock,
    untilAvailable,
    async onLanded(progress, events) {
      await options.progress.record(progress);
      metrics.folded.inc(undefined, events);
    },
  });

  async function foldBatch(
    batch: PartitionBatch,
    liveWrite: LiveTicket,
  ): Promise<BatchOutcome | void> {
    if (options.refreshMappings) await retrying(batch, 'mappings', options.refreshMappings);
    const key = partitionKey(batch);
    const known =
      offsets.get(key) ?? (await retrying(batch, 'load-offsets', () => loadOffsets([batch])))[0]!;
    const applied = Math.min(known.live, known.history);
    const records = batch.records.filter((record) => record.offset > applied);
    if (records.length === 0) return;
    const first = records[0]!;
    const last = records[records.length - 1]!;

    const decoded = decodeRecords(records, options.decode);
    metrics.observeBatch(records.length, decoded.events.length);
    // Independent of each other: one wait instead of three round trips in a row.
    const [claims] = await Promise.all([
      retrying(batch, 'dedup', () => claimGivenIds(decoded.events, decoded.idGiven)),
      retrying(batch, 'lookups', () => enricher.refresh()),
      decoded.rejections.length > 0
        ? retrying(batch, 'dead-letter', () => options.deadLetters.send(decoded.rejections))
        : undefined,
    ]);
    countRejections(decoded.rejections);
    const events = keepFirstClaims(decoded.events, claims);
    metrics.duplicates.inc(undefined, decoded.events.length - events.length);
    for (const event of events) enricher.enrich(event);

    const live = retrying(batch, 'live', () =>
      liveWrite.apply({
        topic: batch.topic,
        partition: batch.partition,
        events: after(events, known.live),
        fromOffset: Math.max(first.offset, known.live + 1),
        toOffset: last.offset,
      }),
    ).then(async (groups) => {
      // The live windows hold the batch now: say so without waiting for the history insert.
      await Promise.all([
        retrying(batch, 'progress', () => options.live.setFloor(batch, last.offset)),
        options.changes
          .publish(groups.map(toNotice))
          .catch(() => metrics.retries.inc('change-feed')),
      ]);
    });
    // The rows wait for their insert meanwhile; progress, recorded as they land, waits for both.
    const history = retrying(batch, 'history', () =>
      pump.add(
        {
          partition: { topic: batch.topic, partition: batch.partition },
          events: after(events, known.history),
          last: { offset: last.offset, timestamp: last.timestamp },
          live,
        },
        batch.isStale,
      ),
    );
    const [, { landed }] = await Promise.all([live, history]);
    // Never lower: while one sink catches up, the other may already hold records past this batch.
    known.live = Math.max(known.live, last.offset);
    known.history = Math.max(known.history, last.offset);
    return { durable: landed };
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
    metrics,
    async onAssigned(partitions) {
      offsets.clear();
      const loaded = await untilAvailable('load-offsets', () => loadOffsets(partitions));
      const held = partitions.map((p, i) => ({
        ...p,
        offset: Math.min(loaded[i]!.live, loaded[i]!.history),
      }));
      await untilAvailable('progress', () => lowerProgressTo(held));
      return new Map(held.map((p) => [partitionKey(p), p.offset + 1]));
    },
    async onRevoked(partitions) {
      for (const partition of partitions) offsets.delete(partitionKey(partition));
    },
    async onBatch(batch) {
      const liveWrite = liveMerger.expect();
      try {
        return await foldBatch(batch, liveWrite);
      } finally {
        liveWrite.done();
      }
    },
  };

  /**
   * Progress says what every sink holds, and freshness trusts it. A sink that lost what it held
   * (in-memory live windows after a restart, a Redis without persistence) is refilled from the
   * log: until then the progress recorded before must not claim those records. The time of the
   * record a sink now ends at is unknown: 0 (freshness says "unknown" while behind).
   */
  async function lowerProgressTo(held: (TopicPartition & { offset: number })[]) {
    const topics = [...new Set(held.map((p) => p.topic))];
    const recorded = new Map(
      (await options.progress.read(topics)).map((p) => [partitionKey(p), p]),
    );
    const ahead = held.filter((p) => (recorded.get(partitionKey(p))?.offset ?? -1) > p.offset);
    if (ahead.length > 0)
      await options.progress.record(ahead.map((p) => ({ ...p, recordTimestamp: 0 })));
  }
}

/** The events past `offset` (most batches: all of them, without a copy). */
function after(events: PositionedEvent[], offset: number): PositionedEvent[] {
  return events.length === 0 || events[0]!.offset > offset
    ? events
    : events.filter((e) => e.offset > offset);
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

function toNotice(group: LiveGroupDelta): ChangeNotice {
  const seconds = [...group.seconds.keys()];
  return {
    tenant: group.tenant,
    event: group.event,
    fromSec: Math.min(...seconds),
    toSec: Math.max(...seconds),
  };
}
