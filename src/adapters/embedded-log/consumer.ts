import type { Logger } from '../../logger.js';
import {
  partitionKey,
  type ConsumerHandlers,
  type EventLogConsumer,
  type TopicPartition,
} from '../../ports/event-log.js';
import type { GroupPositions } from './group-positions.js';
import type { Cursor, PartitionLog } from './partition-log.js';
import { signal } from './signal.js';
import type { TopicStore } from './topic-store.js';

export const MAX_BATCH_RECORDS = 5000;
export const MAX_BATCH_BYTES = 1024 * 1024;

export interface EmbeddedConsumerOptions {
  groupId: string;
  topics: string[];
  store: TopicStore;
  positions: (groupId: string) => Promise<GroupPositions>;
  /** Claims the group for this consumer; returns its release. Throws when another member runs. */
  join: (groupId: string) => () => void;
  logger: Logger;
}

const sortPartitions = (a: TopicPartition, b: TopicPartition) =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;

/**
 * A single-member consumer group over the embedded log: every partition of the topics is
 * assigned to it, each tailed by its own loop that wakes on appends. A batch's position is
 * committed durably once the batch is (onBatch's outcome); a stop waits for that.
 */
export function createEmbeddedConsumer(options: EmbeddedConsumerOptions): EventLogConsumer {
  const { groupId, topics, store, logger } = options;
  const stopSignal = signal();
  let state: 'new' | 'running' | 'stopping' = 'new';
  let handlers: ConsumerHandlers | undefined;
  let leave = () => {};
  let starting: Promise<void> | undefined;
  let assigned: PartitionLog[] = [];
  let loops: Promise<void>[] = [];
  /** Commits waiting for their batch to be durable. */
  const commits = new Set<Promise<void>>();
  let shutdown: Promise<void> | undefined;

  const finish = async (failure: unknown, notify: boolean) => {
    state = 'stopping';
    stopSignal.fire();
    await starting?.catch(() => undefined);
    await Promise.all(loops);
    await Promise.allSettled([...commits]);
    try {
      if (assigned.length > 0)
        await handlers!.onRevoked(assigned.map(({ topic, partition }) => ({ topic, partition })));
    } catch (error) {
      logger.error({ err: error, groupId }, 'embedded log: onRevoked failed');
    } finally {
      leave();
    }
    if (notify) handlers!.onCrash?.(failure);
  };
  const halt = (failure?: unknown, notify = false) => (shutdown ??= finish(failure, notify));

  const tail = async (log: PartitionLog, from: Cursor, positions: GroupPositions) => {
    const key = partitionKey(log);
    const batchBase = {
      topic: log.topic,
      partition: log.partition,
      heartbeat: () => Promise.resolve(),
      isStale: () => state !== 'running',
    };
    let cursor = from;
    try {
      while (state === 'running') {
        if (cursor.offset >= log.endOffset()) {
          await Promise.race([log.appended(), stopSignal.promise]);
          continue;
        }
        const { records, next } = await log.read(cursor, MAX_BATCH_RECORDS, MAX_BATCH_BYTES);
        if (state !== 'running') break;
        const outcome = await handlers!.onBatch({
          ...batchBase,
          records,
          highWatermark: log.endOffset(),
        });
        cursor = next;
        const commit = () => positions.commit(key, next.offset);
        if (!outcome) await commit();
        else {
          const committed = outcome.durable.then(commit, (error: unknown) => {
            logger.error(
              { err: error, groupId, partition: key },
              'embedded log: consumer stopped by an error',
            );
            void halt(error, true);
          });
          commits.add(committed);
          void committed.finally(() => commits.delete(committed));
        }
      }
    } catch (error) {
      logger.error(
        { err: error, groupId, partition: key },
        'embedded log: consumer stopped by an error',
      );
      void halt(error, true);
    }
  };

  const begin = async () => {
    const positions = await options.positions(groupId);
    const opened = await Promise.all(topics.map((topic) => store.topic(topic)));
    if (state !== 'running') return;
    assigned = opened.flatMap((topic) => topic.partitions).sort(sortPartitions);
    const starts = await handlers!.onAssigned(
      assigned.map(({ topic, partition }) => ({ topic, partition })),
    );
    const cursors = await Promise.all(
      assigned.map((log) => {
        const key = partitionKey(log);
        const offset = starts.get(key) ?? positions.get(key) ?? 0;
        if (offset > log.endOffset())
          logger.warn(
            { groupId, partition: key, offset, end: log.endOffset() },
            'embedded log: start offset past the end, starting at the end',
          );
        return log.cursorAt(offset);
      }),
    );
    if (state !== 'running') return;
    loops = assigned.map((log, i) => tail(log, cursors[i]!, positions));
  };

  return {
    async start(given) {
      if (state !== 'new') throw new Error(`consumer of group ${groupId} was already started`);
      leave = options.join(groupId);
      state = 'running';
      handlers = given;
      starting = begin();
      try {
        await starting;
      } catch (error) {
        await halt(error);
        throw error;
      }
    },
    stop() {
      if (state === 'new') {
        state = 'stopping';
        return Promise.resolve();
      }
      return halt();
    },
    async lag() {
      const positions = await options.positions(groupId);
      let lag = 0;
      for (const name of topics) {
        const topic = await store.existing(name);
        for (const log of topic?.partitions ?? [])
          lag += Math.max(0, log.endOffset() - (positions.get(partitionKey(log)) ?? 0));
      }
      return lag;
    },
  };
}
