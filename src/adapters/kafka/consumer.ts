import type { Admin, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from '../../logger.js';
import { withDeadline } from '../../observability/deadline.js';
import {
  partitionKey,
  type BatchOutcome,
  type ConsumerHandlers,
  type EventLogConsumer,
  type TopicPartition,
} from '../../ports/event-log.js';
import { existingTopics } from './existing-topics.js';
import { toLogRecords } from './records.js';

export interface KafkaConsumerOptions {
  kafka: Kafka;
  admin: () => Promise<Admin>;
  groupId: string;
  topics: string[];
  logger: Logger;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  partitionsConsumedConcurrently: number;
}

const byPartition = (a: TopicPartition, b: TopicPartition) =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;

const isRebalancing = (error: unknown) =>
  ['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION'].includes(
    (error as { type?: string }).type ?? '',
  );

/**
 * A kafkajs consumer behind the port. kafkajs has no hook between a rebalance's start and the
 * new assignment, so: when it notices a rebalance (or restarts after a crash) every partition is
 * revoked (eager protocol: positions restart from the commits), and at each join the partitions
 * are announced to onAssigned. Batches wait for those handlers; a seek that onAssigned asks for
 * makes kafkajs drop the batch fetched before it and fetch again from the new position.
 * lastOffset + 1 is committed for that partition alone once the batch is durable (onBatch's
 * outcome), unless the partition moved meanwhile; a stop waits for that at most half a session,
 * well inside the process's shutdown deadline (what is not durable then is read again from the
 * sinks' offsets by the next owner).
 */
export function createKafkaConsumer(options: KafkaConsumerOptions): EventLogConsumer {
  const { kafka, groupId, topics, logger, heartbeatIntervalMs } = options;
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: heartbeatIntervalMs,
    // Bounds how long stop() waits for an idle fetch to return.
    maxWaitTimeInMs: 250,
    // Bigger batches (kafkajs: 1 MiB) mean fewer rounds of dedup, live write, insert and commit,
    // and live writes that merge more events into each bucket.
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  let state: 'new' | 'running' | 'stopping' = 'new';
  let started = false;
  let handlers!: ConsumerHandlers;
  let owned: TopicPartition[] = [];
  /** Changes whenever the assignment may have: a batch from before is stale. */
  let generation = 0;
  /** onRevoked/onAssigned calls and their seeks, in order; batches wait until it settles. */
  let transition = Promise.resolve();
  let pendingSteps = 0;
  const inFlight = new Set<Promise<void>>();
  /** Commits waiting for their batch to be durable. */
  const commits = new Set<Promise<void>>();
  let shutdown: Promise<void> | undefined;
  let failure: unknown;

  const enqueue = (step: () => Promise<void>) => {
    pendingSteps++;
    transition = transition
      .then(step)
      .catch((error: unknown) => fail(error))
      .finally(() => pendingSteps--);
  };

  const revokeAll = () => {
    generation++;
    const lost = owned;
    owned = [];
    if (lost.length > 0) enqueue(() => handlers.onRevoked(lost));
  };

  const onJoin = (assignment: Record<string, number[]>) => {
    const joined = ++generation;
    const next = Object.entries(assignment)
      .flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })))
      .sort(byPartition);
    const kept = new Set(next.map(partitionKey));
    const lost = owned.filter((tp) => !kept.has(partitionKey(tp)));
    owned = next;
    enqueue(async () => {
      if (lost.length > 0) await handlers.onRevoked(lost);
      if (next.length === 0 || state !== 'running') return;
      const starts = await handlers.onAssigned(next);
      const seeks = next.flatMap((tp) => {
        const offset = starts.get(partitionKey(tp));
        return offset === undefined ? [] : [{ ...tp, offset }];
      });
      if (seeks.length === 0) return;
      const ends = await endOffsets(seeks).catch((error: unknown) => {
        logger.warn({ err: error, groupId }, 'kafka: no end offsets, seeking unclamped');
        return new Map<string, number>();
      });
      if (state !== 'running' || generation !== joined) return;
      for (const seek of seeks) {
        const end = ends.get(partitionKey(seek)) ?? Infinity;
        if (seek.offset > end)
          logger.warn(
            { groupId, ...seek, end },
            'kafka: start offset past the end, starting at the end',
          );
        consumer.seek({ ...seek, offset: String(Math.max(0, Math.min(seek.offset, end))) });
      }
    });
  };

  /**
   * Past the end Kafka answers OFFSET_OUT_OF_RANGE and kafkajs restarts from the earliest record:
   * seeks are clamped to the end instead, as the embedded log does.
   */
  const endOffsets = async (partitions: TopicPartition[]) => {
    const admin = await options.admin();
    const ends = new Map<string, number>();
    for (const topic of new Set(partitions.map((tp) => tp.topic)))
      for (const end of await admin.fetchTopicOffsets(topic))
        ends.set(partitionKey({ topic, partition: end.partition }), Number(end.high));
    return ends;
  };

  const finish = async (reason: unknown, notify: boolean) => {
    state = 'stopping';
    try {
      consumer.pause(topics.map((topic) => ({ topic })));
    } catch {
      // Not running (never joined, or kafkajs gave up): nothing to pause.
    }
    await Promise.allSettled([...inFlight]);
    await withDeadline(
      Promise.allSettled([...commits]),
      options.sessionTimeoutMs / 2,
      'batches becoming durable',
    ).catch((error: unknown) =>
      logger.warn({ err: error, groupId }, 'kafka: stopping with batches not durable yet'),
    );
    await transition;
    const lost = owned;
    owned = [];
    try {
      if (lost.length > 0) await handlers.onRevoked(lost);
    } catch (error) {
      logger.error({ err: error, groupId }, 'kafka: onRevoked failed');
    }
    await consumer
      .disconnect()
      .catch((error: unknown) => logger.error({ err: error, groupId }, 'kafka: disconnect failed'));
    if (notify) handlers.onCrash?.(reason);
  };
  const halt = (reason?: unknown, notify = false) => (shutdown ??= finish(reason, notify));

  function fail(error: unknown) {
    failure ??= error;
    logger.error({ err: error, groupId }, 'kafka: consumer stopped by an error');
    void halt(error, started);
  }

  /** Runs `work` while heartbeating, so a long handler keeps the group membership. */
  const heartbeating = async <T>(payload: EachBatchPayload, work: () => Promise<T>) => {
    const timer = setInterval(() => {
      payload.heartbeat().catch((error: unknown) => {
        if (isRebalancing(error)) generation++;
        else logger.debug({ err: error, groupId }, 'kafka: heartbeat failed');
      });
    }, heartbeatIntervalMs);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  };

  const handleBatch = async (payload: EachBatchPayload) => {
    const { batch } = payload;
    if (pendingSteps > 0) await heartbeating(payload, () => transition);
    // isStale: a seek is pending for the partition; kafkajs fetches again from there.
    if (state !== 'running' || payload.isStale() || batch.messages.length === 0) return;
    const { topic, partition } = batch;
    const batchGeneration = generation;
    const stale = () => state !== 'running' || generation !== batchGeneration || payload.isStale();
    let outcome: BatchOutcome | void;
    try {
      outcome = await heartbeating(payload, () =>
        handlers.onBatch({
          topic,
          partition,
          records: toLogRecords(topic, partition, batch.messages),
          highWatermark: Number(batch.highWatermark),
          heartbeat: () => payload.heartbeat(),
          isStale: stale,
        }),
      );
    } catch (error) {
      // A batch given up because its partition moved (a rebalance or a stop during an outage) is
      // left uncommitted for the next owner, which starts from the sinks' offsets: not a crash.
      if (stale()) {
        logger.info(
          { err: error, groupId, topic, partition },
          'kafka: batch abandoned, partition moved',
        );
        return;
      }
      fail(error);
      return;
    }
    const last = batch.lastOffset();
    payload.resolveOffset(last);
    const offset = String(Number(last) + 1);
    if (!outcome) {
      // Thrown commit errors reach kafkajs, which rejoins on a rebalance and retries the rest.
      await payload.commitOffsetsIfNecessary({
        topics: [{ topic, partitions: [{ partition, offset }] }],
      });
      return;
    }
    const committed = outcome.durable
      .then(
        async () => {
          if (generation === batchGeneration)
            await consumer.commitOffsets([{ topic, partition, offset }]);
        },
        (error: unknown) => fail(error),
      )
      .catch((error: unknown) =>
        logger.debug({ err: error, groupId, topic, partition }, 'kafka: commit failed'),
      );
    commits.add(committed);
    void committed.finally(() => commits.delete(committed));
  };

  return {
    async start(given) {
      if (state !== 'new') throw new Error(`consumer of group ${groupId} was already started`);
      state = 'running';
      handlers = given;
      const { GROUP_JOIN, REBALANCING, CRASH } = consumer.events;
      consumer.on(GROUP_JOIN, ({ payload }) => onJoin(payload.memberAssignment));
      consumer.on(REBALANCING, () => revokeAll());
      consumer.on(CRASH, ({ payload }) => {
        revokeAll();
        if (!payload.restart) fail(payload.error);
      });
      try {
        await consumer.connect();
        await consumer.subscribe({ topics, fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
          eachBatch: async (payload) => {
            if (state !== 'running') return;
            const work = handleBatch(payload);
            inFlight.add(work);
            try {
              await work;
            } finally {
              inFlight.delete(work);
            }
          },
        });
        await transition;
      } catch (error) {
        await halt(error);
        throw error;
      }
      if (shutdown) {
        await shutdown;
        if (failure !== undefined) throw failure;
      }
      started = true;
    },
    async stop() {
      if (state === 'new') state = 'stopping';
      else await halt();
    },
    async lag() {
      const admin = await options.admin();
      const existing = await existingTopics(admin, topics);
      if (existing.length === 0) return 0;
      const committed = await admin.fetchOffsets({ groupId, topics: existing });
      let lag = 0;
      for (const { topic, partitions } of committed) {
        const ends = await admin.fetchTopicOffsets(topic);
        for (const end of ends) {
          const at = Number(partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
          lag += Math.max(0, Number(end.high) - (at >= 0 ? at : Number(end.low)));
        }
      }
      return lag;
    },
  };
}
