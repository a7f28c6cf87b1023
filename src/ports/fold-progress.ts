import type { TopicPartition } from './event-log.js';

/** How far the fold got in one partition: the last record folded into every sink. */
export interface PartitionProgress extends TopicPartition {
  offset: number;
  /** The log timestamp of that record, epoch ms. */
  recordTimestamp: number;
}

/** Shared by consumer processes (writers) and API processes (readers of freshness). */
export interface FoldProgressStore {
  record(progress: PartitionProgress[]): Promise<void>;
  read(topics: string[]): Promise<PartitionProgress[]>;
  close(): Promise<void>;
}
