import { partitionKey, type TopicPartition } from './event-log.js';

/**
 * The sinks the fold writes, each by a consumer group of its own (a lane): the live windows do
 * not wait for history inserts, and either lane waits out an outage of its own sink alone.
 */
export const FOLD_SINKS = ['live', 'history'] as const;
export type FoldSinkName = (typeof FOLD_SINKS)[number];

/** How far the fold got in one partition: the last record folded. */
export interface PartitionProgress extends TopicPartition {
  offset: number;
  /** The log timestamp of that record, epoch ms. */
  recordTimestamp: number;
}

/** Shared by consumer processes (writers) and API processes (readers of freshness). */
export interface FoldProgressStore {
  /** How far one sink got. */
  record(sink: FoldSinkName, progress: PartitionProgress[]): Promise<void>;
  /**
   * How far `sink` got or, without it, every sink: per partition, the progress of the sink
   * furthest behind. A partition that some sink has not recorded yet is left out (nothing of it
   * is known to be in every sink).
   */
  read(topics: string[], sink?: FoldSinkName): Promise<PartitionProgress[]>;
  close(): Promise<void>;
}

/** Per partition, the progress of the sink furthest behind, given every sink's progress. */
export function slowestSinks(
  bySink: readonly (readonly PartitionProgress[])[],
): PartitionProgress[] {
  const slowest = new Map<string, { progress: PartitionProgress; sinks: number }>();
  for (const progress of bySink)
    for (const p of progress) {
      const key = partitionKey(p);
      const seen = slowest.get(key);
      if (!seen) slowest.set(key, { progress: p, sinks: 1 });
      else {
        seen.sinks++;
        if (p.offset < seen.progress.offset) seen.progress = p;
      }
    }
  return [...slowest.values()]
    .filter((entry) => entry.sinks === bySink.length)
    .map((entry) => entry.progress);
}
