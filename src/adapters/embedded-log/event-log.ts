import { mkdirSync } from 'node:fs';
import { pino } from 'pino';
import type { Logger } from '../../logger.js';
import type { EventLog, EventLogConsumer, LogMessage } from '../../ports/event-log.js';
import { createEmbeddedConsumer } from './consumer.js';
import { lockDirectory } from './files.js';
import { loadGroupPositions, type GroupPositions } from './group-positions.js';
import { partitionForKey } from './partitioner.js';
import { encodeFrames } from './record-frame.js';
import { createTopicStore } from './topic-store.js';

export interface EmbeddedEventLogOptions {
  /** Directory holding the log; created when missing. One open instance per directory. */
  dir: string;
  /** Partitions of topics created without ensureTopics (Kafka's num.partitions). Default 4. */
  partitions?: number;
  logger?: Logger;
}

/**
 * The event log on local disk, with Kafka's offset semantics: per topic-partition an append-only
 * file of CRC-framed records, keys partitioned as Kafka's default partitioner does, sends that
 * resolve once fsync'd, and single-member consumer groups whose positions survive restarts.
 * Producer and consumers of one instance share its files, so one process can run both.
 */
export function createEmbeddedEventLog(options: EmbeddedEventLogOptions): EventLog {
  const { dir, partitions = 4, logger = pino({ level: 'warn' }) } = options;
  mkdirSync(dir, { recursive: true });
  const unlock = lockDirectory(dir);
  const store = createTopicStore({ dir, defaultPartitions: partitions, logger });
  const groups = new Map<string, Promise<GroupPositions>>();
  const members = new Set<string>();
  const consumers = new Set<EventLogConsumer>();
  let closing: Promise<void> | undefined;

  const ensureOpen = () => {
    if (closing) throw new Error(`the embedded log in ${dir} is closed`);
  };

  const positions = (groupId: string) => {
    let loaded = groups.get(groupId);
    if (!loaded) {
      loaded = loadGroupPositions(dir, groupId);
      loaded.catch(() => groups.delete(groupId));
      groups.set(groupId, loaded);
    }
    return loaded;
  };

  const join = (groupId: string) => {
    ensureOpen();
    if (members.has(groupId))
      throw new Error(`group ${groupId} already has a consumer: the embedded log allows one`);
    members.add(groupId);
    return () => members.delete(groupId);
  };

  return {
    producer() {
      let roundRobin = 0;
      let closed = false;
      return {
        async send(topic: string, messages: LogMessage[]) {
          ensureOpen();
          if (closed) throw new Error('producer is closed');
          if (messages.length === 0) return;
          const { partitions: logs } = await store.topic(topic);
          const perPartition: LogMessage[][] = logs.map(() => []);
          for (const message of messages) {
            const p =
              message.key === null
                ? roundRobin++ % logs.length
                : partitionForKey(message.key, logs.length);
            perPartition[p]!.push(message);
          }
          const timestamp = Date.now();
          await Promise.all(
            perPartition.map((batch, p) =>
              batch.length === 0 ? undefined : logs[p]!.append(encodeFrames(batch, timestamp)),
            ),
          );
        },
        async close() {
          closed = true;
        },
      };
    },
    consumer({ groupId, topics }) {
      ensureOpen();
      const consumer = createEmbeddedConsumer({
        groupId,
        topics,
        store,
        positions,
        join,
        logger,
      });
      consumers.add(consumer);
      return consumer;
    },
    async endOffsets(topics) {
      ensureOpen();
      const opened = await Promise.all(topics.map((topic) => store.existing(topic)));
      return opened.flatMap((topic) =>
        (topic?.partitions ?? []).map((log) => ({
          topic: log.topic,
          partition: log.partition,
          offset: log.endOffset(),
        })),
      );
    },
    async ensureTopics(topics, count) {
      ensureOpen();
      await Promise.all(topics.map((topic) => store.topic(topic, count)));
    },
    close() {
      return (closing ??= (async () => {
        try {
          await Promise.all([...consumers].map((consumer) => consumer.stop()));
          await store.close();
        } finally {
          unlock();
        }
      })());
    },
  };
}
