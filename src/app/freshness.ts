import type { Freshness, FreshnessSource } from './services.js';
import type { EventLog } from '../ports/event-log.js';
import { partitionKey } from '../ports/event-log.js';
import type { FoldProgressStore } from '../ports/fold-progress.js';

export interface FreshnessOptions {
  log: EventLog;
  progress: FoldProgressStore;
  /** The topics the fold reads: the ingest topics and the mapped ones, which change at run time. */
  topics: () => readonly string[];
  clock?: () => number;
  /** Answers are reused for this long: every live tick of every subscriber asks. */
  cacheMs?: number;
  /** Once the questions fail, the last answer is still given this long (from when it was had). */
  staleMs?: number;
}

/**
 * Freshness from the fold's progress and the log's end offsets. A partition folded to its end is
 * fresh as of now; otherwise it is folded through the time of its last folded record. The
 * lowest over the partitions is what every number can be trusted to include.
 *
 * The question takes a round trip to the log and one to the progress store. Past `cacheMs` a
 * caller does not wait for it: the last answer is given (its foldedThrough is still true, a lower
 * bound, and its lagMs is counted to now) while a newer one is asked in the background, so a live
 * tick or query never waits on Kafka, however slow it answers (the lag shows it). Only once a
 * question has failed and the last answer is older than `staleMs` (the log is away) does a caller
 * wait, and get the failure.
 */
export function createFreshness(options: FreshnessOptions): FreshnessSource {
  const clock = options.clock ?? Date.now;
  const cacheMs = options.cacheMs ?? 250;
  const staleMs = options.staleMs ?? 5000;
  let last: { at: number; value: Freshness } | undefined;
  let asking: Promise<Freshness> | undefined;
  /** A question in the background is scheduled. */
  let queued = false;
  /** The latest question failed (the log or the progress store is away). */
  let failing = false;

  async function compute(now: number): Promise<Freshness> {
    const topics = [...options.topics()];
    const [ends, progress] = await Promise.all([
      options.log.endOffsets(topics),
      options.progress.read(topics),
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

  const ask = (now: number): Promise<Freshness> =>
    (asking ??= compute(now)
      .then(
        (value) => {
          last = { at: now, value };
          failing = false;
          return value;
        },
        (error: unknown) => {
          failing = true;
          throw error;
        },
      )
      .finally(() => (asking = undefined)));

  return {
    current() {
      const now = clock();
      if (last && now - last.at <= cacheMs) return Promise.resolve(last.value);
      if (!last || (failing && now - last.at > staleMs)) return ask(now);
      // The caller goes on with the last answer: the question waits until the caller's own
      // requests (a history query's SELECT) are out, rather than going before them.
      if (!queued) {
        queued = true;
        setImmediate(() => {
          queued = false;
          ask(clock()).catch(() => undefined);
        });
      }
      const { foldedThrough, behind } = last.value;
      return Promise.resolve({
        foldedThrough,
        lagMs: foldedThrough === null ? null : now - foldedThrough,
        behind,
      });
    },
  };
}
