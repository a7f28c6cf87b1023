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
  /**
   * The batch's live write, made while the entry waits for its insert: progress says both sinks
   * hold the batch, so it is recorded once both resolved (never when the live write failed).
   */
  live: Promise<unknown>;
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
   * the entry lands with the ones added before it or after them (`landed` resolves then, after
   * onLanded, or rejects with the failure that stopped the pump). Waits while the rows that have
   * not landed are more than maxRows, unless `stale` says to stop waiting. Throws what a hold
   * throws (retry it) and, once an insert failed for good, that failure.
   */
  add(entry: HistoryEntry, stale?: () => boolean): Promise<{ landed: Promise<void> }>;
}

interface Queued {
  entry: HistoryEntry;
  /** The entry's events as added (a retry may leave some out): what maxRows and the count use. */
  rows: number;
  land(): void;
  fail(error: unknown): void;
}

/**
 * An insert of at least this share of maxRows goes without waiting for the interval: the interval
 * keeps small inserts (a part per table each, whatever their size) few, and rows are what a big
 * one costs.
 */
const BIG_INSERT_SHARE = 10;

/**
 * Inserts history on its own schedule instead of once per consumed batch: one insert in flight,
 * at most one per interval unless it is big, each taking every entry that arrived meanwhile. A
 * batch is done once the live windows hold it and its entry is taken on, so the next one is
 * fetched without waiting for ClickHouse, which takes about as long for one row as for thousands
 * (a new part per table).
 * An insert that failed may have landed: before it is tried again, history's offsets say which
 * entries' events it already holds, and those leave it (an insert lands whole or not at all).
 */
export function createHistoryPump(options: HistoryPumpOptions): HistoryPump {
  const clock = options.clock ?? Date.now;
  let queue: Queued[] = [];
  /** Per partition with entries that have not landed: how many. */
  const pending = new Map<string, number>();
  let unlandedRows = 0;
  let lastStart = -Infinity;
  let running: Promise<void> | undefined;
  let failure: { error: unknown } | undefined;
  let roomWaiters: (() => void)[] = [];
  const rethrow = () => {
    if (failure) throw failure.error;
  };

  const run = () => {
    running ??= pump()
      .catch((error: unknown) => {
        failure ??= { error };
        for (const queued of queue) queued.fail(error);
        queue = [];
      })
      .finally(() => {
        running = undefined;
        if (queue.length > 0) run();
      });
  };

  async function pump(): Promise<void> {
    while (queue.length > 0) {
      await intervalOrBigInsert();
      const taken = take();
      try {
        if (taken.some(({ entry }) => entry.events.length > 0)) {
          lastStart = clock();
          await insert(taken.map(({ entry }) => entry));
        }
        const inLive = await bothSinks(taken);
        if (inLive.length > 0)
          await options.untilAvailable('progress', () =>
            options.onLanded(progressOf(inLive), rowsOf(inLive)),
          );
      } catch (error) {
        for (const queued of taken) queued.fail(error);
        throw error;
      }
      land(taken);
    }
  }

  /** Wakes the pump waiting for the interval: an add that made the queue big. */
  let wakeEarly: (() => void) | undefined;
  const big = () => rowsOf(queue) >= options.maxRows / BIG_INSERT_SHARE;

  async function intervalOrBigInsert(): Promise<void> {
    const wait = lastStart + options.intervalMs - clock();
    if (wait <= 0 || big()) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      wakeEarly = resolve;
      timer = setTimeout(resolve, wait);
    });
    clearTimeout(timer);
    wakeEarly = undefined;
  }

  /** The entries whose live write succeeded too: the others' batches were given up. */
  async function bothSinks(taken: Queued[]): Promise<Queued[]> {
    const live = await Promise.allSettled(taken.map(({ entry }) => entry.live));
    return taken.filter((_, i) => live[i]!.status === 'fulfilled');
  }

  /** The entries of the next insert: the oldest ones, up to maxRows (at least one). */
  function take(): Queued[] {
    let rows = 0;
    let count = 0;
    while (count < queue.length) {
      const next = queue[count]!.entry.events.length;
      if (count > 0 && rows + next > options.maxRows) break;
      rows += next;
      count++;
    }
    const taken = queue.slice(0, count);
    queue = queue.slice(count);
    return taken;
  }

  async function insert(entries: HistoryEntry[]): Promise<void> {
    let uncertain = false;
    await options.untilAvailable('history', async () => {
      if (uncertain) await leaveOutLanded(entries);
      uncertain = true;
      const rows = entries.flatMap((entry) => entry.events);
      if (rows.length > 0) await options.history.insert(rows);
      uncertain = false;
    });
  }

  async function leaveOutLanded(entries: HistoryEntry[]): Promise<void> {
    const partitions = [...new Map(entries.map((e) => [partitionKey(e.partition), e.partition]))];
    const stored = await options.history.offsets(partitions.map(([, partition]) => partition));
    const held = new Map(partitions.map(([key], i) => [key, stored[i]!]));
    for (const entry of entries) {
      const upTo = held.get(partitionKey(entry.partition))!;
      entry.events = entry.events.filter((event) => event.offset > upTo);
    }
  }

  /** Lets go of the partitions none of whose entries waits any more, and makes room. */
  function land(taken: Queued[]): void {
    const free: TopicPartition[] = [];
    for (const { entry } of taken) {
      const key = partitionKey(entry.partition);
      const left = pending.get(key)! - 1;
      if (left > 0) pending.set(key, left);
      else {
        pending.delete(key);
        free.push(entry.partition);
      }
    }
    if (free.length > 0) options.holds.release(free).catch(() => undefined);
    unlandedRows -= rowsOf(taken);
    for (const queued of taken) queued.land();
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
      let land!: () => void;
      let fail!: (error: unknown) => void;
      const landed = new Promise<void>((resolve, reject) => {
        land = resolve;
        fail = reject;
      });
      // A failure is the consumer's to report (through the next add); this one may go unread.
      landed.catch(() => undefined);
      queue.push({ entry, rows: entry.events.length, land, fail });
      unlandedRows += entry.events.length;
      if (big()) wakeEarly?.();
      run();
      while (unlandedRows > options.maxRows && !stale() && !failure)
        await Promise.race([new Promise<void>((wake) => roomWaiters.push(wake)), sleep(1000)]);
      rethrow();
      return { landed };
    },
  };
}

function progressOf(taken: Queued[]): PartitionProgress[] {
  const last = new Map<string, PartitionProgress>();
  for (const { entry } of taken)
    last.set(partitionKey(entry.partition), {
      topic: entry.partition.topic,
      partition: entry.partition.partition,
      offset: entry.last.offset,
      recordTimestamp: entry.last.timestamp,
    });
  return [...last.values()];
}

const rowsOf = (entries: Queued[]) => entries.reduce((sum, { rows }) => sum + rows, 0);
