import type { PositionedEvent } from '../events/event.js';
import type { TopicPartition } from '../ports/event-log.js';
import type { FoldSinkName } from '../ports/fold-progress.js';

/** A partition batch's events for one sink, all with offsets in [fromOffset, toOffset]. */
export interface SinkBatch extends TopicPartition {
  events: PositionedEvent[];
  fromOffset: number;
  toOffset: number;
}

/** One of the places the fold writes, with the offsets it keeps atomically with its writes. */
export interface FoldSink {
  name: FoldSinkName;
  /** Per partition, the last offset the sink holds (-1 for none). */
  offsets(partitions: TopicPartition[]): Promise<number[]>;
  /** A batch is being folded: the sink may hold writes back a little to join them with it. */
  begin(): SinkWrite;
}

export interface SinkWrite {
  /**
   * Writes the batch atomically with the sink's offset of its partition. May be called again
   * after it failed (the caller retries while the store is unavailable).
   */
  write(batch: SinkBatch): Promise<void>;
  /** The batch is over, written or not: call it in any case. */
  done(): void;
}
