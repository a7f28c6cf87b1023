import { PERCENTILES } from '../../events/metric.js';
import { bucketExpiresAt, minuteOf, windowBuckets, MINUTE_SECONDS } from '../../live/buckets.js';
import { emptyWindowStats, rankGroups } from '../../live/compute.js';
import { createHll, hllAdd, hllCount, hllMerge, type Hll } from '../../live/hll.js';
import { knownSeries, seriesMatcher } from '../../live/series.js';
import { mergeSketch, type Sketch } from '../../live/sketch.js';
import { mergeScalars, type ScalarStats } from '../../live/stats.js';
import { partitionKey, type TopicPartition } from '../../ports/event-log.js';
import type {
  BucketStats,
  LiveApplyRequest,
  LiveConflict,
  LiveGroupDelta,
  LiveGroupKey,
  LiveMergedApplyRequest,
  LiveRange,
  LiveWindowStore,
  WindowStats,
} from '../../ports/live-windows.js';

export interface MemoryLiveWindowsOptions {
  horizonMs: number;
  /** Wall clock for dropping buckets past the horizon (default Date.now). */
  clock?: () => number;
}

interface StoredStats extends ScalarStats {
  users: Hll;
  sketch: Sketch;
}

type Level = Map<number, Map<string, StoredStats>>;

interface StoredGroup {
  /** topic:partition -> last applied offset. */
  offsets: Map<string, number>;
  seconds: Level;
  minutes: Level;
}

/**
 * Live windows in this process, with the Redis adapter's semantics and bucket math: per-second and
 * per-minute buckets, offsets checked per group and partition, HyperLogLog (p = 14) for uniques,
 * buckets dropped once past the horizon (checked at most once a second).
 */
export function createMemoryLiveWindows(options: MemoryLiveWindowsOptions): LiveWindowStore {
  const { horizonMs } = options;
  const clock = options.clock ?? Date.now;
  const groups = new Map<string, StoredGroup>();
  const floors = new Map<string, number>();
  let lastSweep = -Infinity;
  const groupKey = (tenant: string, event: string) => `${tenant}\u0000${event}`;

  function sweep(): void {
    const now = clock();
    if (now - lastSweep < 1000) return;
    lastSweep = now;
    for (const group of groups.values()) {
      for (const [level, length] of [
        [group.seconds, 1],
        [group.minutes, MINUTE_SECONDS],
      ] as const) {
        for (const second of level.keys())
          if (bucketExpiresAt(second, length, horizonMs) <= now) level.delete(second);
      }
    }
  }

  function add(level: Level, second: number, series: string, stats: BucketStats): void {
    let bucket = level.get(second);
    if (!bucket) level.set(second, (bucket = new Map()));
    let stored = bucket.get(series);
    if (!stored) {
      stored = {
        count: 0,
        valueCount: 0,
        sum: 0,
        min: Infinity,
        max: -Infinity,
        users: createHll(),
        sketch: new Map(),
      };
      bucket.set(series, stored);
    }
    mergeScalars(stored, stats);
    mergeSketch(stored.sketch, stats.sketch);
    for (const user of stats.users) hllAdd(stored.users, user);
  }

  function groupOf(tenant: string, event: string): StoredGroup {
    const key = groupKey(tenant, event);
    let group = groups.get(key);
    if (!group)
      groups.set(key, (group = { offsets: new Map(), seconds: new Map(), minutes: new Map() }));
    return group;
  }

  function addDelta(group: StoredGroup, delta: LiveGroupDelta): void {
    const now = clock();
    for (const [second, series] of delta.seconds) {
      const keepSecond = bucketExpiresAt(second, 1, horizonMs) > now;
      const keepMinute = bucketExpiresAt(minuteOf(second), MINUTE_SECONDS, horizonMs) > now;
      for (const [id, stats] of series) {
        if (keepSecond) add(group.seconds, second, id, stats);
        if (keepMinute) add(group.minutes, minuteOf(second), id, stats);
      }
    }
  }

  return {
    horizonMs,

    async apply(request: LiveApplyRequest): Promise<LiveConflict[]> {
      sweep();
      const partition = partitionKey(request);
      const conflicts: LiveConflict[] = [];
      for (const delta of request.groups) {
        const group = groupOf(delta.tenant, delta.event);
        const stored = group.offsets.get(partition) ?? -1;
        if (stored >= request.toOffset) continue;
        if (stored >= request.fromOffset) {
          conflicts.push({ tenant: delta.tenant, event: delta.event, storedOffset: stored });
          continue;
        }
        addDelta(group, delta);
        group.offsets.set(partition, request.toOffset);
      }
      return conflicts;
    },

    async applyMerged(request: LiveMergedApplyRequest): Promise<LiveGroupKey[]> {
      sweep();
      const refused: LiveGroupKey[] = [];
      for (const delta of request.groups) {
        const group = groupOf(delta.tenant, delta.event);
        const ranges = delta.ranges.map((i) => request.ranges[i]!);
        const isNew = (range: LiveRange) =>
          (group.offsets.get(partitionKey(range)) ?? -1) < range.fromOffset;
        if (!ranges.every(isNew)) {
          refused.push({ tenant: delta.tenant, event: delta.event });
          continue;
        }
        addDelta(group, delta);
        for (const range of ranges) group.offsets.set(partitionKey(range), range.toOffset);
      }
      return refused;
    },

    async setFloor(partition: TopicPartition, offset: number): Promise<void> {
      const key = partitionKey(partition);
      floors.set(key, Math.max(offset, floors.get(key) ?? -1));
    },

    async floors(partitions: TopicPartition[]): Promise<number[]> {
      return partitions.map((p) => floors.get(partitionKey(p)) ?? -1);
    },

    async read({ tenant, metric, fromMs, toMs, maxGroups }): Promise<WindowStats[]> {
      sweep();
      const group = groups.get(groupKey(tenant, metric.event));
      if (!group) return rankGroups([], metric, maxGroups);
      const { seconds, minutes } = windowBuckets(fromMs, toMs);
      const wantsSketch = PERCENTILES[metric.aggregate] !== undefined;
      const wantsUsers = metric.aggregate === 'UNIQUES';
      const match = seriesMatcher(metric);
      const found = new Map<string | null, WindowStats>();
      const users = new Map<string | null, Hll>();
      // Expired but not yet swept buckets are skipped, as Redis would have dropped them.
      const now = clock();
      const live = (level: Level, length: number) => (second: number) =>
        bucketExpiresAt(second, length, horizonMs) > now ? level.get(second) : undefined;
      const buckets = [
        ...seconds.map(live(group.seconds, 1)),
        ...minutes.map(live(group.minutes, MINUTE_SECONDS)),
      ];
      const known = knownSeries(metric);
      for (const bucket of buckets) {
        if (!bucket) continue;
        const entries = known
          ? known.map((id): [string, StoredStats | undefined] => [id, bucket.get(id)])
          : bucket;
        for (const [series, stored] of entries) {
          const name = stored ? match(series) : undefined;
          if (name === undefined) continue;
          let stats = found.get(name);
          if (!stats) found.set(name, (stats = emptyWindowStats(name)));
          mergeScalars(stats, stored!);
          if (wantsSketch) mergeSketch(stats.sketch, stored!.sketch);
          if (wantsUsers) {
            let union = users.get(name);
            if (!union) users.set(name, (union = createHll()));
            hllMerge(union, stored!.users);
          }
        }
      }
      for (const [name, union] of users) found.get(name)!.uniques = hllCount(union);
      return rankGroups([...found.values()], metric, maxGroups);
    },

    async close(): Promise<void> {
      groups.clear();
      floors.clear();
    },
  };
}
