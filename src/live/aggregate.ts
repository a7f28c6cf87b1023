import type { AnalyticsEvent } from '../events/event.js';
import type { BucketStats, LiveGroupDelta, LiveMergedGroupDelta } from '../ports/live-windows.js';
import { memoisedSeriesOf } from './series.js';
import { addContribution, contributionOf, emptyStats } from './stats.js';

export interface LiveAggregation {
  groups: LiveGroupDelta[];
  /** Events older than the horizon: left out here, history still gets them. */
  late: number;
}

/** The aggregation of several batches: each group names the batches (indexes) it has events of. */
export interface MergedLiveAggregation {
  groups: LiveMergedGroupDelta[];
  late: number;
}

export interface LiveAggregationOptions {
  nowMs: number;
  /** Events with timestamp < nowMs − horizonMs are late. */
  horizonMs: number;
}

/**
 * Pre-aggregates a batch for the live windows: per (tenant, event name), per event-time second,
 * per series (src/live/series.ts), the stats of the events that fell there. A batch of thousands
 * of events becomes a handful of buckets, so the store sees one write per bucket, not per event.
 */
export function aggregateLive(
  events: readonly AnalyticsEvent[],
  options: LiveAggregationOptions,
): LiveAggregation {
  return aggregateLiveBatches([events], options);
}

/** aggregateLive over several batches at once: a bucket they share is written once for all. */
export function aggregateLiveBatches(
  batches: readonly (readonly AnalyticsEvent[])[],
  options: LiveAggregationOptions,
): MergedLiveAggregation {
  const oldest = options.nowMs - options.horizonMs;
  const seriesOf = memoisedSeriesOf();
  // tenant -> event name -> group: no key string built per event
  const byTenant = new Map<string, Map<string, LiveMergedGroupDelta>>();
  const groups: LiveMergedGroupDelta[] = [];
  let late = 0;
  for (let batch = 0; batch < batches.length; batch++) {
    for (const event of batches[batch]!) {
      if (event.timestamp < oldest) {
        late++;
        continue;
      }
      let names = byTenant.get(event.tenant);
      if (!names) byTenant.set(event.tenant, (names = new Map()));
      let group = names.get(event.name);
      if (!group) {
        group = { tenant: event.tenant, event: event.name, seconds: new Map(), ranges: [] };
        names.set(event.name, group);
        groups.push(group);
      }
      if (group.ranges[group.ranges.length - 1] !== batch) group.ranges.push(batch);
      const second = Math.floor(event.timestamp / 1000);
      let series = group.seconds.get(second);
      if (!series) group.seconds.set(second, (series = new Map<string, BucketStats>()));
      const contribution = contributionOf(event);
      for (const id of seriesOf(event.dimensions)) {
        let stats = series.get(id);
        if (!stats) series.set(id, (stats = emptyStats()));
        addContribution(stats, contribution);
      }
    }
  }
  return { groups, late };
}
