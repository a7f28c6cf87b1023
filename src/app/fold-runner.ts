import { Registry } from 'prom-client';
import type { Config } from '../config.js';
import { eventLimitsFrom } from '../events/validate.js';
import { createDeadLetterSink } from '../fold/dead-letters.js';
import { createFold, type Fold } from '../fold/fold.js';
import type { Logger } from '../logger.js';
import { createFoldInstruments } from '../observability/fold-metrics.js';
import { partitionKey, type EventLogConsumer, type TopicPartition } from '../ports/event-log.js';
import type { Engines } from './engines.js';

export interface FoldRunner {
  fold: Fold;
  consumer: EventLogConsumer;
  /** The partitions the consumer holds now. */
  assigned(): TopicPartition[];
  /** Stops fetching, drains the batch in progress, commits, leaves the group. */
  stop(): Promise<void>;
}

export interface FoldRunnerOptions {
  /** Hears of a consumer that stopped for good (a bug, not an unavailable dependency: those are waited out). */
  onCrash?: (error: unknown) => void;
  /** Where the fold's metrics go (/metrics); default: a registry of its own. */
  metrics?: Registry;
}

/** Starts the consumer group that folds the ingest topics into both sinks. */
export async function startFold(
  engines: Engines,
  config: Config,
  logger: Logger,
  tenants: ReadonlySet<string> | null,
  options: FoldRunnerOptions = {},
): Promise<FoldRunner> {
  const { kafka, fold: foldConfig } = config;
  await engines.log.ensureTopics(
    [...kafka.INGEST_TOPICS, kafka.DEAD_LETTER_TOPIC],
    kafka.TOPIC_PARTITIONS,
  );
  const producer = engines.log.producer();
  const instruments = createFoldInstruments(options.metrics ?? new Registry());
  const fold = createFold({
    live: instruments.timeWrites(engines.live, 'apply', 'live'),
    history: instruments.timeWrites(engines.history, 'insert', 'history'),
    dedup: engines.dedup,
    reference: engines.reference,
    changes: engines.changes,
    progress: engines.progress,
    deadLetters: createDeadLetterSink(producer, kafka.DEAD_LETTER_TOPIC),
    decode: {
      limits: eventLimitsFrom(foldConfig),
      maxMessageBytes: foldConfig.MAX_MESSAGE_BYTES,
      // Without API keys (development) everything is tenant `default`.
      defaultTenant: tenants ? null : 'default',
      isKnownTenant: tenants ? (tenant) => tenants.has(tenant) : (tenant) => tenant === 'default',
    },
    dedupTtlMs: foldConfig.DEDUP_TTL_SECONDS * 1000,
    historyFlushRows: foldConfig.HISTORY_FLUSH_ROWS,
    historyFlushMs: foldConfig.HISTORY_FLUSH_MS,
    onRetry: (step, error, attempt) =>
      logger.warn(
        { step, attempt, err: error instanceof Error ? error.message : String(error) },
        'fold waiting for a dependency',
      ),
  });
  // An assignment names every partition the consumer holds from then on.
  const held = new Map<string, TopicPartition>();
  const assigned = () => [...held.values()];
  instruments.watch({
    counters: fold.metrics,
    assigned,
    log: engines.log,
    progress: engines.progress,
  });
  const consumer = engines.log.consumer({
    groupId: kafka.CONSUMER_GROUP,
    topics: kafka.INGEST_TOPICS,
  });
  await consumer.start({
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
        await fold.onBatch(batch);
      } finally {
        instruments.batch(batch.records.length, (performance.now() - started) / 1000);
      }
    },
    onCrash: options.onCrash,
  });
  logger.info(
    { topics: kafka.INGEST_TOPICS, group: kafka.CONSUMER_GROUP },
    'fold consumer started',
  );
  return {
    fold,
    consumer,
    assigned,
    async stop() {
      await consumer.stop();
      await producer.close();
    },
  };
}
