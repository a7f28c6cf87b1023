import type { TopicPartition } from './event-log.js';

/**
 * Partitions whose history rows a fold process has taken on and not inserted yet. The fold lets a
 * batch go (and its partition move to another consumer at the next rebalance) once the live
 * windows hold it, while its rows wait for the next history insert. A consumer that takes a
 * partition reads history's offsets only once nobody holds it: rows still on their way from the
 * previous owner would otherwise be inserted a second time. A hold lapses when its owner stops
 * renewing it (a process that died), after about a consumer session.
 */
export interface HistoryHolds {
  hold(partitions: TopicPartition[]): Promise<void>;
  /** Best effort: a release that fails leaves the hold to lapse. */
  release(partitions: TopicPartition[]): Promise<void>;
  /** True while any process holds any of the partitions. */
  anyHeld(partitions: TopicPartition[]): Promise<boolean>;
  close(): Promise<void>;
}
