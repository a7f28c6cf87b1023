import type { Freshness, FreshnessSource } from './services.js';
import type { EventLog } from '../ports/event-log.js';
import { partitionKey } from '../ports/event-log.js';
import type { FoldProgressStore } from '../ports/fold-progress.js';

export interface FreshnessOptions {
  log: EventLog;
  progress: FoldProgressStore;
  topics: string[];
  clock?: () => number;
  /** Answers are reused for this long: every live tick of every subscriber asks. */
  cacheMs?: number;
}

/**
 * Freshness from the fold's progress and the log's end offsets. A partition folded to its end is
 * fresh as of now; otherwise it is folded through the time of its last folded record. The
 * lowest over the partitions is what every number can be trusted to include.
 */
export function createFreshness(options: FreshnessOptions): FreshnessSource {
  const clock = options.clock ?? Date.now;
  const cacheMs = options.cacheMs ?? 250;
  let cached: { at: number; value: Promise<Freshness> } | undefined;

  async function compute(now: number): Promise<Freshness> {
    const [ends, progress] = await Promise.all([
      options.log.endOffsets(options.topics),
      options.progress.read(options.topics),
    ]);
    const folded = new Map(progress.map((p) => [partitionKey(p), p]));
    let behind = 0;
    let foldedThrough = now;
    for (const end of ends) {
      const done = folded.get(partitionKey(end));
      const next = done ? done.offset + 1 : 0;
      const pending = Math.max(0, end.offset - next);
      behind += pending;
      if (pending > 0) foldedThrough = Math.min(foldedThrough, done ? done.recordTimestamp : 0);
    }
    const known = foldedThrough > 0;
    return {
      foldedThrough: known ? foldedThrough : null,
      lagMs: known ? now - foldedThrough : null,
      behind,
    };
  }

  return {
    current() {
      const now = clock();
      if (!cached || now - cached.at > cacheMs) {
        const value = compute(now);
        cached = { at: now, value };
        value.catch(() => {
          if (cached?.value === value) cached = undefined;
        });
      }
      return cached.value;
    },
  };
}
