import { Registry } from 'prom-client';
import type { Config } from '../config.js';
import type { DecodeOptions } from '../events/decode.js';
import { eventLimitsFrom } from '../events/validate.js';
import { createDeadLetterSink } from '../fold/dead-letters.js';
import { createFold } from '../fold/fold.js';
import { createHistorySink } from '../fold/history-sink.js';
import { createLiveSink } from '../fold/live-sink.js';
import { createFoldMetrics, type FoldMetrics } from '../fold/metrics.js';
import type { FoldSink } from '../fold/sink.js';
import { retryWhileUnavailable } from '../fold/retry.js';
import type { Logger } from '../logger.js';
import { createMappingRegistry, pollMappings } from '../mappings/registry.js';
import { createFoldInstruments } from '../observability/fold-metrics.js';
import {
  partitionKey,
  type ConsumerHandlers,
  type EventLogConsumer,
  type TopicPartition,
} from '../ports/event-log.js';
import { FOLD_SINKS, type FoldSinkName } from '../ports/fold-progress.js';
import type { Engines } from './engines.js';

export interface FoldRunner {
  /** The lanes' counters, labelled with their sinks. */
  metrics: FoldMetrics;
  /** The topics every lane reads now: the ingest topics and every mapped topic. */
  topics(): string[];
  /** The partitions some lane holds now. */
  assigned(): TopicPartition[];
  /** Stops fetching, drains the batches in progress, commits, leaves the groups. */
  stop(): Promise<void>;
}

export interface FoldRunnerOptions {
  /** Hears of a consumer that stopped for good (a bug, not an unavailable dependency: those are waited out). */
  onCrash?: (error: unknown) => void;
  /** Where the fold's metrics go (/metrics); default: a registry of its own. */
  metrics?: Registry;
}

/**
 * The consumer group of a sink's lane: the live lane keeps the configured group (and its
 * committed offsets), the history lane adds `.history`.
 */
export const laneGroupId = (group: string, sink: FoldSinkName): string =>
  sink === 'live' ? group : `${group}.${sink}`;

/** One sink's consumer group and the fold that feeds it. */
interface Lane {
  held: Map<string, TopicPartition>;
  topics(): string[];
  /** Joins again with the wanted topics when they changed (a rebalance, not a restart). */
  resubscribe(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a consumer group per sink (ARCHITECTURE.md: the live windows never wait for a history
 * insert, and each lane waits out its own sink's outage) that folds the ingest topics and the
 * mapped topics. Mappings changed through the admin API are picked up before the next batch; a
 * mapping of a topic not read yet makes the lanes subscribe again.
 */
export async function startFold(
  engines: Engines,
  config: Config,
  logger: Logger,
  tenants: ReadonlySet<string> | null,
  options: FoldRunnerOptions = {},
): Promise<FoldRunner> {
  const { kafka, fold: foldConfig } = config;
  const mappings = createMappingRegistry({
    store: engines.mappings,
    fileMappings: foldConfig.TOPIC_MAPPINGS_FILE.mappings,
    onInvalid: (mapping, error) =>
      logger.error(
        { mapping: mapping.spec.name, owner: mapping.owner, err: (error as Error).message },
        'stored topic mapping does not compile: left out',
      ),
  });
  await untilAvailable(() => mappings.refresh());
  const wantedTopics = () => [...kafka.INGEST_TOPICS, ...mappings.topics()];
  await engines.log.ensureTopics(
    [...wantedTopics(), kafka.DEAD_LETTER_TOPIC],
    kafka.TOPIC_PARTITIONS,
  );
  const producer = engines.log.producer();
  const instruments = createFoldInstruments(options.metrics ?? new Registry());
  const metrics = createFoldMetrics();
  const sinks: Record<FoldSinkName, FoldSink> = {
    // merged writes, and per-partition ones after a redelivery
    live: createLiveSink({
      live: instruments.timeWrites(
        instruments.timeWrites(engines.live, 'applyMerged', 'live'),
        'apply',
        'live',
      ),
      changes: engines.changes,
      clock: Date.now,
      onLate: (count) => metrics.late.inc('live', count),
      onChangeFeedError: () => metrics.retries.inc('change-feed'),
    }),
    history: createHistorySink({
      history: instruments.timeWrites(engines.history, 'insert', 'history'),
      flushRows: foldConfig.HISTORY_FLUSH_ROWS,
      flushMs: foldConfig.HISTORY_FLUSH_MS,
    }),
  };
  const decode: DecodeOptions = {
    limits: eventLimitsFrom(foldConfig),
    maxMessageBytes: foldConfig.MAX_MESSAGE_BYTES,
    // Without API keys (development) everything is tenant `default`.
    defaultTenant: tenants ? null : 'default',
    isKnownTenant: tenants ? (tenant) => tenants.has(tenant) : (tenant) => tenant === 'default',
    mappingsFor: (topic) => mappings.forTopic(topic),
  };
  const deadLetters = createDeadLetterSink(producer, kafka.DEAD_LETTER_TOPIC);
  let stopping = false;

  async function startLane(sink: FoldSinkName): Promise<Lane> {
    const groupId = laneGroupId(kafka.CONSUMER_GROUP, sink);
    const fold = createFold({
      sink: sinks[sink],
      dedup: engines.dedup,
      reference: engines.reference,
      progress: engines.progress,
      // every lane reads the same records: the live lane reports the rejected ones
      ...(sink === 'live' ? { deadLetters } : {}),
      decode,
      dedupTtlMs: foldConfig.DEDUP_TTL_SECONDS * 1000,
      metrics,
      onRetry: (step, error, attempt) =>
        logger.warn(
          { step, attempt, err: error instanceof Error ? error.message : String(error) },
          'fold waiting for a dependency',
        ),
    });
    // An assignment names every partition the consumer holds from then on.
    const held = new Map<string, TopicPartition>();
    const handlers: ConsumerHandlers = {
      async onAssigned(partitions) {
        const starts = await fold.onAssigned(partitions);
        held.clear();
        for (const partition of partitions) held.set(partitionKey(partition), partition);
        return starts;
      },
      async onRevoked(partitions) {
        for (const partition of partitions) held.delete(partitionKey(partition));
        await fold.onRevoked(partitions);
      },
      async onBatch(batch) {
        const started = performance.now();
        try {
          // A mapping changed before this batch applies to it.
          await retryWhileUnavailable(() => mappings.refresh(), { giveUp: () => batch.isStale() });
          if (!sameTopics(wantedTopics(), topics)) void resubscribe();
          await fold.onBatch(batch);
        } finally {
          instruments.batch(sink, batch.records.length, (performance.now() - started) / 1000);
        }
      },
      onCrash: options.onCrash,
    };
    let topics = wantedTopics();
    let consumer = await startConsumer(topics);

    async function startConsumer(subscribed: string[]): Promise<EventLogConsumer> {
      const started = engines.log.consumer({ groupId, topics: subscribed });
      await started.start(handlers);
      logger.info({ topics: subscribed, group: groupId, sink }, 'fold consumer started');
      return started;
    }

    /** One at a time: the consumer in place drains and commits before the next one joins. */
    let resubscribing: Promise<void> | undefined;
    function resubscribe(): Promise<void> {
      // Started in a later turn, so `finally` always runs after `resubscribing` is set.
      resubscribing ??= Promise.resolve()
        .then(async () => {
          const next = wantedTopics();
          if (stopping || sameTopics(next, topics)) return;
          await engines.log.ensureTopics(next, kafka.TOPIC_PARTITIONS);
          await consumer.stop();
          topics = next;
          consumer = await startConsumer(topics);
        })
        .catch((error: unknown) =>
          logger.error({ err: error, sink }, 'subscribing to the mapped topics failed; retrying'),
        )
        .finally(() => (resubscribing = undefined));
      return resubscribing;
    }

    return {
      held,
      topics: () => topics,
      resubscribe,
      async stop() {
        await resubscribing;
        await consumer.stop();
      },
    };
  }

  const lanes = await Promise.all(FOLD_SINKS.map(startLane));
  const assigned = () => {
    const union = new Map<string, TopicPartition>();
    for (const lane of lanes) for (const [key, partition] of lane.held) union.set(key, partition);
    return [...union.values()];
  };
  instruments.watch({ counters: metrics, assigned, log: engines.log, progress: engines.progress });

  // An idle consumer sees no batch: look for new mapped topics on a timer too.
  const stopPolling = pollMappings(
    mappings,
    foldConfig.MAPPINGS_POLL_MS,
    (error) => logger.warn({ err: (error as Error).message }, 'reading topic mappings failed'),
    async () => {
      await Promise.all(lanes.map((lane) => lane.resubscribe()));
    },
  );

  return {
    metrics,
    topics: () =>
      lanes[0]!.topics().filter((topic) => lanes.every((lane) => lane.topics().includes(topic))),
    assigned,
    async stop() {
      stopping = true;
      stopPolling();
      await Promise.all(lanes.map((lane) => lane.stop()));
      await producer.close();
    },
  };
}

function untilAvailable<T>(work: () => Promise<T>) {
  return retryWhileUnavailable(work, { giveUp: () => false });
}

const sameTopics = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((topic, i) => topic === b[i]);
