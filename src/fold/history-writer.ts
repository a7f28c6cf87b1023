import type { PositionedEvent } from '../events/event.js';
import type { HistoryStore } from '../ports/history.js';

export interface HistoryWriterOptions {
  history: HistoryStore;
  /** Flush once this many rows wait. */
  flushRows: number;
  /** Flush at the latest this long after the first row arrived. */
  flushMs: number;
  /** How many callers may be waiting at most: when all of them wait, waiting longer gains nothing. */
  activeWriters: () => number;
}

export interface HistoryWriter {
  /** Resolves once the events are in the history store (one insert shared with other callers). */
  write(events: PositionedEvent[]): Promise<void>;
  /** A caller is gone without writing (or after): the ones left may all be waiting now. */
  left(): void;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers the rows of concurrent partition batches into one insert: ClickHouse wants a few big
 * inserts per second, not one per partition batch. Each caller learns whether its rows landed.
 */
export function createHistoryWriter(options: HistoryWriterOptions): HistoryWriter {
  let rows: PositionedEvent[] = [];
  let waiters: Waiter[] = [];
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = rows;
    const batchWaiters = waiters;
    rows = [];
    waiters = [];
    options.history.insert(batch).then(
      () => batchWaiters.forEach((waiter) => waiter.resolve()),
      (error: unknown) => batchWaiters.forEach((waiter) => waiter.reject(error)),
    );
  };

  const allWait = () => waiters.length > 0 && waiters.length >= options.activeWriters();

  return {
    write(events) {
      if (events.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        for (const event of events) rows.push(event);
        waiters.push({ resolve, reject });
        if (rows.length >= options.flushRows || allWait()) flush();
        else timer ??= setTimeout(flush, options.flushMs);
      });
    },
    left() {
      if (allWait()) flush();
    },
  };
}
