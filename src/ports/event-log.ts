/**
 * The event log port: Kafka in production, an on-disk partitioned log embedded.
 * Offsets are per topic-partition, dense and increasing, as in Kafka.
 */
export interface LogMessage {
  /** Partitioning key: records with the same key land in the same partition, in order. */
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

export interface LogRecord extends LogMessage {
  topic: string;
  partition: number;
  offset: number;
  /** Record timestamp in epoch ms (the producer's create time). */
  timestamp: number;
}

export interface EventLogProducer {
  /** Resolves once every message is durably in the log (acks from all in-sync replicas). */
  send(topic: string, messages: LogMessage[]): Promise<void>;
  close(): Promise<void>;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** A batch the handler is done with, though not every sink holds it yet. */
export interface BatchOutcome {
  /** Resolves once every sink holds the batch. */
  durable: Promise<void>;
}

/** The records of one partition handed to the handler at once, in offset order. */
export interface PartitionBatch extends TopicPartition {
  records: LogRecord[];
  /** Offset of the next record the log will hold for this partition (Kafka's high watermark). */
  highWatermark: number;
  /** Keep group membership alive while a long batch is in progress. */
  heartbeat(): Promise<void>;
  /** True once the partition was revoked or the consumer is stopping: stop retrying. */
  isStale(): boolean;
}

export interface ConsumerHandlers {
  /**
   * Called when partitions are assigned. Returns, per partition, the offset to start from,
   * or undefined to use the group's committed offset (or the earliest when none).
   */
  onAssigned(partitions: TopicPartition[]): Promise<Map<string, number | undefined>>;
  onRevoked(partitions: TopicPartition[]): Promise<void>;
  /**
   * Folds one batch. When it resolves, the consumer goes on with the partition's next batch, and
   * commits offset lastOffset + 1 once the outcome's `durable` resolves (at once without an
   * outcome). When onBatch or `durable` rejects, the consumer stops (the error is a bug, not a
   * passing fault) without committing the batch.
   */
  onBatch(batch: PartitionBatch): Promise<BatchOutcome | void>;
  /**
   * Called once when the consumer stopped by itself after start() resolved: a handler rejected, the
   * log failed for good. Its partitions were revoked first; the failed batch is not committed.
   * Without it the error is only logged.
   */
  onCrash?(error: unknown): void;
}

export interface EventLogConsumer {
  start(handlers: ConsumerHandlers): Promise<void>;
  /**
   * Stops fetching, waits for the batch in progress and for the batches done before it to be
   * durable (a while at most: their sinks may be away), commits, leaves the group.
   */
  stop(): Promise<void>;
  /** Records in the subscribed topics not yet committed by this group. */
  lag(): Promise<number>;
}

export interface EventLog {
  producer(): EventLogProducer;
  consumer(options: { groupId: string; topics: string[] }): EventLogConsumer;
  /** Per partition of the topics, the offset the next record will get (the high watermark). */
  endOffsets(topics: string[]): Promise<(TopicPartition & { offset: number })[]>;
  /** Creates the topics when missing (idempotent). */
  ensureTopics(topics: string[], partitions: number): Promise<void>;
  close(): Promise<void>;
}

export const partitionKey = (tp: TopicPartition): string => `${tp.topic}:${tp.partition}`;
