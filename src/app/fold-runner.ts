import { Registry } from 'prom-client';
import type { Config } from '../config.js';
import { eventLimitsFrom } from '../events/validate.js';
import { createDeadLetterSink } from '../fold/dead-letters.js';
import { createFold, type Fold } from '../fold/fold.js';
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
import type { Engines } from './engines.js';

export interface FoldRunner {
  fold: Fold;
  /** The topics the consumer reads now: the ingest topics and every mapped topic. */
  topics(): string[];
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

/**
 * Starts the consumer group that folds the ingest topics and the mapped topics into both sinks.
 * Mappings changed through the admin API are picked up before the next batch; a mapping of a
 * topic not read yet makes the consumer subscribe again (a rebalance, not a restart).
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
  const fold = createFold({
    // merged writes, and per-partition ones after a redelivery
    live: instruments.timeWrites(
      instruments.timeWrites(engines.live, 'applyMerged', 'live'),
      'apply',
      'live',
    ),
    history: instruments.timeWrites(engines.history, 'insert', 'history'),
    holds: engines.holds,
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
      mappingsFor: (topic) => mappings.forTopic(topic),
    },
    dedupTtlMs: foldConfig.DEDUP_TTL_SECONDS * 1000,
    historyFlushRows: foldConfig.HISTORY_FLUSH_ROWS,
    historyFlushMs: foldConfig.HISTORY_FLUSH_MS,
    // A mapping changed before a batch applies to it.
    async refreshMappings() {
      await mappings.refresh();
      if (!sameTopics(wantedTopics(), topics)) void resubscribe();
    },
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
        return await fold.onBatch(batch);
      } finally {
        instruments.batch(batch.records.length, (performance.now() - started) / 1000);
      }
    },
    onCrash: options.onCrash,
  };
  let topics = wantedTopics();
  let consumer = await startConsumer(topics);

  async function startConsumer(subscribed: string[]): Promise<EventLogConsumer> {
    const started = engines.log.consumer({ groupId: kafka.CONSUMER_GROUP, topics: subscribed });
    await started.start(handlers);
    logger.info({ topics: subscribed, group: kafka.CONSUMER_GROUP }, 'fold consumer started');
    return started;
  }

  /** One at a time: the consumer in place drains and commits before the next one joins. */
  let resubscribing: Promise<void> | undefined;
  let stopping = false;
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
        logger.error({ err: error }, 'subscribing to the mapped topics failed; retrying'),
      )
      .finally(() => (resubscribing = undefined));
    return resubscribing;
  }

  // An idle consumer sees no batch: look for new mapped topics on a timer too.
  const stopPolling = pollMappings(
    mappings,
    foldConfig.MAPPINGS_POLL_MS,
    (error) => logger.warn({ err: (error as Error).message }, 'reading topic mappings failed'),
    () => (sameTopics(wantedTopics(), topics) ? undefined : resubscribe()),
  );

  return {
    fold,
    topics: () => [...topics],
    assigned,
    async stop() {
      stopping = true;
      stopPolling();
      await resubscribing;
      await consumer.stop();
      await producer.close();
    },
  };
}

function untilAvailable<T>(work: () => Promise<T>) {
  return retryWhileUnavailable(work, { giveUp: () => false });
}

const sameTopics = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((topic, i) => topic === b[i]);
