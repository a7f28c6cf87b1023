import type { Metric } from '../events/metric.js';
import type { TopicPartition } from './event-log.js';

/**
 * Mergeable statistics of a set of events: everything every aggregate needs.
 * `users` feeds the distinct-count sketch (HyperLogLog in the stores); `sketch` is the
 * log-bucketed value histogram of src/live/sketch.ts (bucket index -> count) for percentiles.
 */
export interface BucketStats {
  count: number;
  /** Events that carried a value: the denominator of AVG. */
  valueCount: number;
  /** Sum of values in integer micro-units (value × 1e6): exact and order-free in every store. */
  sum: number;
  /** +Infinity / -Infinity while no event carried a value. */
  min: number;
  max: number;
  users: Set<string>;
  sketch: Map<number, number>;
}

/**
 * The pre-aggregated part of one partition batch for one (tenant, event name): per event-time
 * second, per series (see src/live/series.ts: the total, each dimension value, the full
 * dimension combination), the stats of the events that fell there.
 */
export interface LiveGroupDelta {
  tenant: string;
  event: string;
  seconds: Map<number, Map<string, BucketStats>>;
}

/** One atomic application per group: the group's events with offsets in [fromOffset, toOffset]. */
export interface LiveApplyRequest extends TopicPartition {
  fromOffset: number;
  toOffset: number;
  groups: LiveGroupDelta[];
}

/** The records of one partition batch: offsets in [fromOffset, toOffset]. */
export interface LiveRange extends TopicPartition {
  fromOffset: number;
  toOffset: number;
}

/** A group's delta in a merged application: it holds the events of these ranges (indexes). */
export interface LiveMergedGroupDelta extends LiveGroupDelta {
  ranges: number[];
}

/**
 * The batches of several partitions in one application (concurrently consumed partitions share
 * one write: a bucket hears once from all of them). No two ranges are of the same partition.
 */
export interface LiveMergedApplyRequest {
  ranges: LiveRange[];
  groups: LiveMergedGroupDelta[];
}

/** A (tenant, event name) group. */
export interface LiveGroupKey {
  tenant: string;
  event: string;
}

/**
 * A group whose stored offset for the partition lies inside [fromOffset, toOffset): part of the
 * range was applied before (by a crashed or fenced consumer). The caller re-aggregates that
 * group's events with offset > storedOffset and applies them again.
 */
export interface LiveConflict extends LiveGroupKey {
  storedOffset: number;
}

/** The answer for one group of a live query. */
export interface WindowStats {
  group: string | null;
  count: number;
  valueCount: number;
  /** Integer micro-units, as in BucketStats. */
  sum: number;
  min: number;
  max: number;
  uniques: number;
  sketch: Map<number, number>;
}

export interface LiveWindowRead {
  tenant: string;
  metric: Metric;
  /** Event-time range [fromMs, toMs), at one-second resolution. */
  fromMs: number;
  toMs: number;
  /** At most this many groups (the largest by the metric); the rest are dropped. */
  maxGroups: number;
}

export interface LiveWindowStore {
  /**
   * Applies the deltas, each group atomically with its per-partition offset; groups whose stored
   * offset is >= toOffset are skipped (already applied). Returns the partial overlaps.
   */
  apply(request: LiveApplyRequest): Promise<LiveConflict[]>;
  /**
   * Applies each group atomically with the offsets of all its ranges, or not at all: a group one
   * of whose ranges was applied before, in whole or in part, is left untouched and returned, for
   * the caller to apply per partition with apply().
   */
  applyMerged(request: LiveMergedApplyRequest): Promise<LiveGroupKey[]>;
  /** Records that every event up to `offset` of the partition is applied (a lower bound). */
  setFloor(partition: TopicPartition, offset: number): Promise<void>;
  /** The floors of the given partitions; -1 where nothing is recorded. */
  floors(partitions: TopicPartition[]): Promise<number[]>;
  read(request: LiveWindowRead): Promise<WindowStats[]>;
  /** How far back event time is kept, in ms: older events are not folded into live windows. */
  readonly horizonMs: number;
  close(): Promise<void>;
}
