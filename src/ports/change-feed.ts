/**
 * "Something changed" notices from the fold to the API processes. At most once: a missed notice
 * costs a subscriber one tick, never a value, because subscribers always re-read the store.
 */
export interface ChangeNotice {
  tenant: string;
  event: string;
  /** Event-time seconds touched, lowest and highest. */
  fromSec: number;
  toSec: number;
}

export interface ChangeFeed {
  publish(notices: ChangeNotice[]): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(listener: (notice: ChangeNotice) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
