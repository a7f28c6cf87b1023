import type { PositionedEvent } from '../events/event.js';
import type { Metric } from '../events/metric.js';
import type { TopicPartition } from './event-log.js';

export interface HistoryQuery {
  tenant: string;
  metric: Metric;
  /** [fromMs, toMs), both already aligned to intervalMs. */
  fromMs: number;
  toMs: number;
  intervalMs: number;
  /** At most this many groups (the largest by the metric over the range). */
  maxGroups: number;
}

export interface HistoryPoint {
  /** Bucket start, epoch ms. */
  time: number;
  value: number | null;
}

export interface HistorySeries {
  group: string | null;
  /** Every bucket of [fromMs, toMs), oldest first, null where empty. */
  points: HistoryPoint[];
}

/** Which data answered: the rollups, or the raw events when the rollups cannot. */
export type HistoryPath = 'rollup_minute' | 'rollup_hour' | 'raw';

export interface HistoryResult {
  series: HistorySeries[];
  path: HistoryPath;
}

export interface HistoryStore {
  /**
   * Writes the events with their log positions in one atomic write. Events whose position is at
   * or below the stored offset of their partition must already have been filtered out by the
   * caller (see `offsets`).
   */
  insert(events: PositionedEvent[]): Promise<void>;
  /** The highest applied offset per partition; -1 where none. */
  offsets(partitions: TopicPartition[]): Promise<number[]>;
  query(query: HistoryQuery): Promise<HistoryResult>;
  /** Event names the tenant has sent, most recent first. */
  eventNames(tenant: string, limit: number): Promise<string[]>;
  close(): Promise<void>;
}
