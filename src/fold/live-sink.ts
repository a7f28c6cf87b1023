import type { ChangeFeed, ChangeNotice } from '../ports/change-feed.js';
import type { LiveGroupDelta, LiveWindowStore } from '../ports/live-windows.js';
import { createLiveMerger } from './live-merger.js';
import type { FoldSink } from './sink.js';

export interface LiveSinkOptions {
  live: LiveWindowStore;
  changes: ChangeFeed;
  clock: () => number;
  /** Events left out for being older than the live horizon. */
  onLate: (count: number) => void;
  /** A change notice could not be published (subscribers poll on their own tick meanwhile). */
  onChangeFeedError: (error: unknown) => void;
}

/**
 * How long a live write waits at most for the other batches being folded to join it: they are
 * usually a few steps behind (decoding, dedup), well within this.
 */
const LIVE_MERGE_WAIT_MS = 20;

/**
 * The live windows: concurrently folded batches merged into one write, then the partition's
 * floor raised and the changed groups announced on the change feed.
 */
export function createLiveSink(options: LiveSinkOptions): FoldSink {
  const { live } = options;
  const merger = createLiveMerger({
    live,
    clock: options.clock,
    onLate: options.onLate,
    maxWaitMs: LIVE_MERGE_WAIT_MS,
  });
  return {
    name: 'live',
    offsets: (partitions) => live.floors(partitions),
    begin() {
      const ticket = merger.expect();
      /** What this batch announces, once its events are in (a retry only raises the floor). */
      let announced: LiveGroupDelta[] | undefined;
      return {
        async write(batch) {
          if (!announced) {
            announced = await ticket.apply(batch);
            options.changes.publish(announced.map(toNotice)).catch(options.onChangeFeedError);
          }
          await live.setFloor(batch, batch.toOffset);
        },
        done: () => ticket.done(),
      };
    },
  };
}

function toNotice(group: LiveGroupDelta): ChangeNotice {
  const seconds = [...group.seconds.keys()];
  return {
    tenant: group.tenant,
    event: group.event,
    fromSec: Math.min(...seconds),
    toSec: Math.max(...seconds),
  };
}
