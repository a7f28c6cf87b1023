import type { AnalyticsEvent } from '../events/event.js';
import type { BucketStats, LiveGroupDelta } from '../ports/live-windows.js';
import { memoisedSeriesOf } from './series.js';
import { addContribution, contributionOf, emptyStats } from './stats.js';

export interface LiveAggregation {
  groups: LiveGroupDelta[];
  /** Events older than the horizon: left out here, history still gets them. */
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
  const oldest = options.nowMs - options.horizonMs;
  const seriesOf = memoisedSeriesOf();
  const groups = new Map<string, LiveGroupDelta>();
  let late = 0;
  for (const event of events) {
    if (event.timestamp < oldest) {
      late++;
      continue;
    }
    const groupKey = `${event.tenant}\u0000${event.name}`;
    let group = groups.get(groupKey);
    if (!group) {
      group = { tenant: event.tenant, event: event.name, seconds: new Map() };
      groups.set(groupKey, group);
    }
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
  return { groups: [...groups.values()], late };
}
