import type { Config } from '../config.js';
import { eventLimitsFrom } from '../events/validate.js';
import { createDeadLetterSink } from '../fold/dead-letters.js';
import { createFold, type Fold } from '../fold/fold.js';
import type { Logger } from '../logger.js';
import type { EventLogConsumer } from '../ports/event-log.js';
import type { Engines } from './engines.js';

export interface FoldRunner {
  fold: Fold;
  consumer: EventLogConsumer;
  /** Stops fetching, drains the batch in progress, commits, leaves the group. */
  stop(): Promise<void>;
}

/**
 * Starts the consumer group that folds the ingest topics into both sinks. `onCrash` hears of a
 * consumer that stopped for good (a bug, not an unavailable dependency: those are waited out).
 */
export async function startFold(
  engines: Engines,
  config: Config,
  logger: Logger,
  tenants: ReadonlySet<string> | null,
  onCrash?: (error: unknown) => void,
): Promise<FoldRunner> {
  const { kafka, fold: foldConfig } = config;
  await engines.log.ensureTopics(
    [...kafka.INGEST_TOPICS, kafka.DEAD_LETTER_TOPIC],
    kafka.TOPIC_PARTITIONS,
  );
  const producer = engines.log.producer();
  const fold = createFold({
    live: engines.live,
    history: engines.history,
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
  const consumer = engines.log.consumer({
    groupId: kafka.CONSUMER_GROUP,
    topics: kafka.INGEST_TOPICS,
  });
  await consumer.start({ ...fold, onCrash });
  logger.info(
    { topics: kafka.INGEST_TOPICS, group: kafka.CONSUMER_GROUP },
    'fold consumer started',
  );
  return {
    fold,
    consumer,
    async stop() {
      await consumer.stop();
      await producer.close();
    },
  };
}
