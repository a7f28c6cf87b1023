import { Kafka, Partitioners, type Admin } from 'kafkajs';
import { pino } from 'pino';
import type { Logger } from '../../logger.js';
import type { EventLog, EventLogConsumer, EventLogProducer } from '../../ports/event-log.js';
import { createKafkaConsumer } from './consumer.js';
import { existingTopics } from './existing-topics.js';
import { kafkaLogLevel, toLogger, type KafkaLogLevel } from './log-creator.js';
import { fixIdleRequestLoop } from './request-queue-fix.js';

export interface KafkaEventLogOptions {
  brokers: string[];
  clientId: string;
  /** How much of kafkajs' own logging reaches `logger`. Default 'warn'. */
  logLevel?: KafkaLogLevel;
  logger?: Logger;
  /** A consumer that stops heartbeating loses its partitions after this long. Default 30 000. */
  sessionTimeoutMs?: number;
  /** Default 3 000. */
  heartbeatIntervalMs?: number;
  /** Partition batches one consumer hands to onBatch at once (never two of one partition). Default 4. */
  partitionsConsumedConcurrently?: number;
}

/**
 * kafkajs groups a request's messages by partition in quadratic time (it copies the partition's
 * array per message): past ~2000 messages a request costs more per record than a round trip.
 */
const MESSAGES_PER_REQUEST = 1000;

/**
 * The event log on Kafka through kafkajs. Sends wait for all in-sync replicas (acks -1) from an
 * idempotent producer, partitioned by murmur2 of the key (Kafka's default, shared with the
 * embedded log). A large send goes out as consecutive requests (key order holds). A failed send
 * was retried 5 times; it may have been written partly.
 */
export function createKafkaEventLog(options: KafkaEventLogOptions): EventLog {
  const logger = options.logger ?? pino({ level: 'warn' });
  fixIdleRequestLoop();
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: kafkaLogLevel[options.logLevel ?? 'warn'],
    logCreator: toLogger(logger),
  });
  const producers = new Set<EventLogProducer>();
  const consumers = new Set<EventLogConsumer>();
  let admin: Promise<Admin> | undefined;
  /**
   * Topics seen to exist. The API asks for end offsets up to four times a second (freshness), and
   * listing the topics each time cost a round trip and the whole cluster's metadata: a third of
   * the Kafka requests of each question.
   */
  const knownTopics = new Set<string>();

  const connectedAdmin = () =>
    (admin ??= (async () => {
      const client = kafka.admin();
      try {
        await client.connect();
      } catch (error) {
        admin = undefined;
        throw error;
      }
      return client;
    })());

  return {
    producer() {
      const producer = kafka.producer({
        idempotent: true,
        // Bounded: a send must fail in time when Kafka is away (kafkajs warns about this once).
        retry: { retries: 5 },
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      let connecting: Promise<void> | undefined;
      const handle: EventLogProducer = {
        async send(topic, messages) {
          if (messages.length === 0) return;
          await (connecting ??= producer.connect().catch((error: unknown) => {
            connecting = undefined;
            throw error;
          }));
          for (let i = 0; i < messages.length; i += MESSAGES_PER_REQUEST)
            await producer.send({
              topic,
              acks: -1,
              messages: messages.slice(i, i + MESSAGES_PER_REQUEST),
            });
        },
        async close() {
          producers.delete(handle);
          if (connecting) await producer.disconnect();
        },
      };
      producers.add(handle);
      return handle;
    },
    consumer({ groupId, topics }) {
      const consumer = createKafkaConsumer({
        kafka,
        admin: connectedAdmin,
        groupId,
        topics,
        logger,
        sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
        heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3_000,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
      });
      consumers.add(consumer);
      return consumer;
    },
    async endOffsets(topics) {
      const client = await connectedAdmin();
      const unknown = topics.filter((topic) => !knownTopics.has(topic));
      if (unknown.length > 0)
        for (const topic of await existingTopics(client, unknown)) knownTopics.add(topic);
      const existing = topics.filter((topic) => knownTopics.has(topic));
      try {
        const perTopic = await Promise.all(
          existing.map(async (topic) =>
            (await client.fetchTopicOffsets(topic)).map((end) => ({
              topic,
              partition: end.partition,
              offset: Number(end.high),
            })),
          ),
        );
        return perTopic.flat();
      } catch (error) {
        // One of them may have been deleted: ask again next time.
        for (const topic of existing) knownTopics.delete(topic);
        throw error;
      }
    },
    async ensureTopics(topics, partitions) {
      const client = await connectedAdmin();
      // Asking to create a topic that exists makes kafkajs log an error: ask only for the missing.
      const existing = new Set(await client.listTopics());
      const missing = topics.filter((topic) => !existing.has(topic));
      if (missing.length === 0) return;
      await client.createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions: partitions })),
        waitForLeaders: true,
      });
    },
    async close() {
      await Promise.all([...consumers].map((consumer) => consumer.stop()));
      await Promise.all([...producers].map((producer) => producer.close()));
      if (admin) await (await admin).disconnect();
    },
  };
}
