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
  /** How long a write waits at most for the batches expected to join it. */
  maxWaitMs: number;
}

/** A batch on its way: until it writes or is done, the next write waits for it (a while). */
export interface LiveTicket {
  /**
   * Resolves once the batch's events are in the live windows, with the groups whose change this
   * batch is to announce (each changed group is announced by one batch of a merged write).
   */
  apply(batch: LiveBatch): Promise<LiveGroupDelta[]>;
  /** The batch will not write (again): call it in any case when the batch is over. */
  done(): void;
}

export interface LiveMerger {
  /** A batch that is being folded: its live write is worth waiting for. */
  expect(): LiveTicket;
}

interface Waiting {
  batch: LiveBatch;
  resolve: (groups: LiveGroupDelta[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Folds the batches of concurrently consumed partitions into one write: a write starts once every
 * batch being folded has asked for it (or after maxWaitMs), and the batches that arrive while it
 * is in flight go together in the next one. A second or minute bucket then hears once from all
 * partitions instead of once from each, which is most of the cost of a write.
 * Each group is applied atomically with every partition range it holds, or, where one of its
 * ranges was applied before (a redelivery after a crash or a rebalance), per partition on its own.
 */
export function createLiveMerger(options: LiveMergerOptions): LiveMerger {
  const { live, clock } = options;
  let waiting: Waiting[] = [];
  let writing = false;
  /** Batches being folded that have not asked for their write yet. */
  let expected = 0;
  let timer: NodeJS.Timeout | undefined;

  const start = () => {
    clearTimeout(timer);
    timer = undefined;
    if (writing || waiting.length === 0) return;
    writing = true;
    setImmediate(() => void writeWaiting());
  };
  const schedule = () => {
    if (writing || waiting.length === 0) return;
    if (expected === 0) start();
    else timer ??= setTimeout(start, options.maxWaitMs);
  };

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
    writing = false;
    // the ones left have waited for this write: they need not wait for more
    start();
  }

  return {
    expect() {
      expected++;
      let expecting = true;
      const arrived = () => {
        if (!expecting) return;
        expecting = false;
        expected--;
      };
      return {
        apply(batch) {
          arrived();
          return new Promise((resolve, reject) => {
            waiting.push({ batch, resolve, reject });
            schedule();
          });
        },
        done() {
          arrived();
          schedule();
        },
      };
    },
  };
}

function eventsOf(events: PositionedEvent[], group: LiveGroupKey): PositionedEvent[] {
  return events.filter((e) => e.tenant === group.tenant && e.name === group.event);
}
