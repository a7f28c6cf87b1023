import { setTimeout as sleep } from 'node:timers/promises';
import type { PositionedEvent } from '../events/event.js';
import { partitionKey, type TopicPartition } from '../ports/event-log.js';
import type { PartitionProgress } from '../ports/fold-progress.js';
import type { HistoryHolds } from '../ports/history-holds.js';
import type { HistoryStore } from '../ports/history.js';

/** A partition batch's part of history. */
export interface HistoryEntry {
  partition: TopicPartition;
  /** Its events that history does not hold yet, in offset order. */
  events: PositionedEvent[];
  /** Its last record: once the entry landed, history holds the partition up to it. */
  last: { offset: number; timestamp: number };
}

export interface HistoryPumpOptions {
  history: HistoryStore;
  holds: HistoryHolds;
  /** Rows per insert at most; add() waits while more than this many have not landed. */
  maxRows: number;
  /** At most one insert starts per this long: ClickHouse wants a few big inserts a second. */
  intervalMs: number;
  /** Runs `work` again while its dependency is unavailable, reporting each wait under `step`. */
  untilAvailable: <T>(step: string, work: () => Promise<T>) => Promise<T>;
  /** Entries landed, in the order they were added: per partition the last record, and the events. */
  onLanded(progress: PartitionProgress[], events: number): Promise<void>;
  clock?: () => number;
}

export interface HistoryPump {
  /**
   * Takes the entry on: its partition is held (HistoryHolds) until every entry of it landed, and
   * the entry lands with the ones added before it or after them. Waits while the rows that have
   * not landed are more than maxRows, unless `stale` says to stop waiting. Throws what a hold
   * throws (retry it) and, once an insert failed for good, that failure.
   */
  add(entry: HistoryEntry, stale?: () => boolean): Promise<void>;
  /** Resolves once every entry taken on has landed. */
  drained(): Promise<void>;
}

/**
 * Inserts history on its own schedule instead of once per consumed batch: one insert in flight,
 * at most one per interval, each taking every entry that arrived meanwhile. A batch is done once
 * the live windows hold it and its entry is taken on, so the next one is fetched without waiting
 * for ClickHouse, which takes about as long for one row as for thousands (a new part per table).
 * An insert that failed may have landed: before it is tried again, history's offsets say which
 * entries' events it already holds, and those leave it (an insert lands whole or not at all).
 */
export function createHistoryPump(options: HistoryPumpOptions): HistoryPump {
  const clock = options.clock ?? Date.now;
  let queue: HistoryEntry[] = [];
  /** Per partition with entries that have not landed: how many. */
  const pending = new Map<string, number>();
  let unlandedRows = 0;
  let lastStart = -Infinity;
  let running: Promise<void> | undefined;
  let failure: { error: unknown } | undefined;
  const rethrow = () => {
    if (failure) throw failure.error;
  };
  let roomWaiters: (() => void)[] = [];
  /** Each entry's events as added (a retry may leave some out): what maxRows and the count use. */
  const added = new WeakMap<HistoryEntry, number>();
  const rowsAdded = (entries: HistoryEntry[]) =>
    entries.reduce((sum, entry) => sum + (added.get(entry) ?? 0), 0);

  const run = () => {
    running ??= pump()
      .catch((error: unknown) => void (failure ??= { error }))
      .finally(() => {
        running = undefined;
        if (queue.length > 0 && !failure) run();
      });
  };

  async function pump(): Promise<void> {
    while (queue.length > 0) {
      const wait = lastStart + options.intervalMs - clock();
      if (wait > 0) await sleep(wait);
      const taken = take();
      const rows = taken.flatMap((entry) => entry.events);
      if (rows.length > 0) {
        lastStart = clock();
        await insert(taken);
      }
      await options.untilAvailable('progress', () =>
        options.onLanded(progressOf(taken), rowsAdded(taken)),
      );
      land(taken);
    }
  }

  /** The entries of the next insert: the oldest ones, up to maxRows (at least one). */
  function take(): HistoryEntry[] {
    let rows = 0;
    let count = 0;
    while (count < queue.length) {
      const next = queue[count]!.events.length;
      if (count > 0 && rows + next > options.maxRows) break;
      rows += next;
      count++;
    }
    const taken = queue.slice(0, count);
    queue = queue.slice(count);
    return taken;
  }

  async function insert(taken: HistoryEntry[]): Promise<void> {
    let uncertain = false;
    await options.untilAvailable('history', async () => {
      if (uncertain) await leaveOutLanded(taken);
      uncertain = true;
      const rows = taken.flatMap((entry) => entry.events);
      if (rows.length > 0) await options.history.insert(rows);
      uncertain = false;
    });
  }

  async function leaveOutLanded(taken: HistoryEntry[]): Promise<void> {
    const partitions = [...new Map(taken.map((e) => [partitionKey(e.partition), e.partition]))];
    const stored = await options.history.offsets(partitions.map(([, partition]) => partition));
    const held = new Map(partitions.map(([key], i) => [key, stored[i]!]));
    for (const entry of taken) {
      const upTo = held.get(partitionKey(entry.partition))!;
      entry.events = entry.events.filter((event) => event.offset > upTo);
    }
  }

  /** The landed entries' partitions let go of when none of theirs waits any more. */
  function land(taken: HistoryEntry[]): void {
    const free: TopicPartition[] = [];
    for (const entry of taken) {
      const key = partitionKey(entry.partition);
      const left = pending.get(key)! - 1;
      if (left > 0) pending.set(key, left);
      else {
        pending.delete(key);
        free.push(entry.partition);
      }
    }
    if (free.length > 0) options.holds.release(free).catch(() => undefined);
    unlandedRows -= rowsAdded(taken);
    const waiters = roomWaiters;
    roomWaiters = [];
    for (const wake of waiters) wake();
  }

  return {
    async add(entry, stale = () => false) {
      rethrow();
      const key = partitionKey(entry.partition);
      if (!pending.has(key)) await options.holds.hold([entry.partition]);
      pending.set(key, (pending.get(key) ?? 0) + 1);
      added.set(entry, entry.events.length);
      unlandedRows += entry.events.length;
      queue.push(entry);
      run();
      while (unlandedRows > options.maxRows && !stale() && !failure)
        await Promise.race([new Promise<void>((wake) => roomWaiters.push(wake)), sleep(1000)]);
      rethrow();
    },
    async drained() {
      while (running) await running;
      rethrow();
    },
  };
}

function progressOf(entries: HistoryEntry[]): PartitionProgress[] {
  const last = new Map<string, PartitionProgress>();
  for (const { partition, last: record } of entries)
    last.set(partitionKey(partition), {
      topic: partition.topic,
      partition: partition.partition,
      offset: record.offset,
      recordTimestamp: record.timestamp,
    });
  return [...last.values()];
}
