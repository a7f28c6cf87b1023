import type { PositionedEvent } from '../events/event.js';
import { aggregateLive, aggregateLiveBatches } from '../live/aggregate.js';
import { partitionKey } from '../ports/event-log.js';
import type {
  LiveGroupDelta,
  LiveGroupKey,
  LiveRange,
  LiveWindowStore,
} from '../ports/live-windows.js';

/** A partition batch's events for the live windows, all with offsets in the range. */
export interface LiveBatch extends LiveRange {
  events: PositionedEvent[];
}

export interface LiveMergerOptions {
  live: LiveWindowStore;
  clock: () => number;
  /** Events left out of the live windows for being older than the horizon. */
  onLate: (count: number) => void;
}

export interface LiveMerger {
  /**
   * Resolves once the batch's events are in the live windows, with the groups whose change this
   * batch is to announce (each changed group is announced by one batch of a merged write).
   */
  apply(batch: LiveBatch): Promise<LiveGroupDelta[]>;
}

interface Waiting {
  batch: LiveBatch;
  resolve: (groups: LiveGroupDelta[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Folds the batches of concurrently consumed partitions into one write: the batches that arrive
 * while a write is in flight go together in the next one. A second or minute bucket then hears
 * once from all partitions instead of once from each, which is most of the cost of a write.
 * When idle, a batch is written at once (in the next turn, with whatever arrived in this one).
 * Each group is applied atomically with every partition range it holds, or, where one of its
 * ranges was applied before (a redelivery after a crash or a rebalance), per partition on its own.
 */
export function createLiveMerger(options: LiveMergerOptions): LiveMerger {
  const { live, clock } = options;
  let waiting: Waiting[] = [];
  let writing = false;

  async function write(batches: LiveBatch[]): Promise<LiveGroupDelta[][]> {
    const aggregation = aggregateLiveBatches(
      batches.map((b) => b.events),
      { nowMs: clock(), horizonMs: live.horizonMs },
    );
    const refused = await live.applyMerged({ ranges: batches, groups: aggregation.groups });
    for (const group of refused)
      for (const batch of batches) await applyAlone(batch, eventsOf(batch.events, group));
    options.onLate(aggregation.late);
    const announced = batches.map((): LiveGroupDelta[] => []);
    for (const group of aggregation.groups) announced[group.ranges[0]!]!.push(group);
    return announced;
  }

  /** One partition's events on their own, re-aggregating what a group partly holds already. */
  async function applyAlone(range: LiveRange, events: PositionedEvent[]): Promise<void> {
    let pending = [{ events, fromOffset: range.fromOffset }];
    while (pending.length > 0) {
      const next: typeof pending = [];
      for (const request of pending) {
        const { groups } = aggregateLive(request.events, {
          nowMs: clock(),
          horizonMs: live.horizonMs,
        });
        if (groups.length === 0) continue;
        const conflicts = await live.apply({
          topic: range.topic,
          partition: range.partition,
          fromOffset: request.fromOffset,
          toOffset: range.toOffset,
          groups,
        });
        // A group partly applied before (a crashed or fenced consumer): apply what it lacks.
        for (const conflict of conflicts)
          next.push({
            events: eventsOf(request.events, conflict).filter(
              (e) => e.offset > conflict.storedOffset,
            ),
            fromOffset: conflict.storedOffset + 1,
          });
      }
      pending = next;
    }
  }

  async function writeWaiting(): Promise<void> {
    // One range per partition in a write: a partition's next batch waits for the next write.
    const taken: Waiting[] = [];
    const later: Waiting[] = [];
    const partitions = new Set<string>();
    for (const entry of waiting) {
      const key = partitionKey(entry.batch);
      if (partitions.has(key)) later.push(entry);
      else {
        partitions.add(key);
        taken.push(entry);
      }
    }
    waiting = later;
    try {
      const announced = await write(taken.map((entry) => entry.batch));
      taken.forEach((entry, i) => entry.resolve(announced[i]!));
    } catch (error) {
      for (const entry of taken) entry.reject(error);
    }
    if (waiting.length > 0) setImmediate(() => void writeWaiting());
    else writing = false;
  }

  return {
    apply(batch) {
      return new Promise((resolve, reject) => {
        waiting.push({ batch, resolve, reject });
        if (writing) return;
        writing = true;
        setImmediate(() => void writeWaiting());
      });
    },
  };
}

function eventsOf(events: PositionedEvent[], group: LiveGroupKey): PositionedEvent[] {
  return events.filter((e) => e.tenant === group.tenant && e.name === group.event);
}
