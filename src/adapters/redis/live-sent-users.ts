/**
 * Remembers which users this process has added to the HyperLogLogs of recent buckets, so a batch
 * sends only users that key has not had from us: a minute key hears from every batch of its
 * minute, mostly about the same users, and re-adding one is not free (Redis scans a sparse
 * HyperLogLog to find its register) nor is sending it.
 *
 * Skipping is safe only while Redis still holds what we added: the owner clears this when the
 * connection closes (a restart or failover may have lost writes), members are recorded only after
 * Redis acknowledged them, and only buckets near the newest one are kept. Past `maxPerKey` users
 * a key is no longer tracked (Redis has made it dense by then, where a re-add is cheap).
 */
export interface SentUsers {
  /** The members not yet sent to `key` (of the bucket that ends at `bucketEndSec`). */
  unsent(bucketEndSec: number, key: string, members: ReadonlySet<string>): Iterable<string>;
  /** Records members Redis has acknowledged. */
  record(bucketEndSec: number, key: string, members: readonly string[]): void;
  clear(): void;
}

/** What was sent to one key: the first batch's list as is (most keys get no second one), then a Set. */
type Sent = { list: readonly string[] } | { set: Set<string> } | 'untracked';

export function createSentUsers(options: { keepSeconds: number; maxPerKey: number }): SentUsers {
  const buckets = new Map<number, Map<string, Sent>>();
  let newestEnd = -Infinity;

  const asSet = (keys: Map<string, Sent>, key: string, sent: Sent): Set<string> | null => {
    if (sent === 'untracked') return null;
    if ('set' in sent) return sent.set;
    const set = new Set(sent.list);
    keys.set(key, { set });
    return set;
  };

  return {
    unsent(bucketEndSec, key, members) {
      const keys = buckets.get(bucketEndSec);
      const sent = keys?.get(key);
      if (!keys || !sent) return members;
      const set = asSet(keys, key, sent);
      if (!set) return members;
      const out: string[] = [];
      for (const member of members) if (!set.has(member)) out.push(member);
      return out;
    },

    record(bucketEndSec, key, members) {
      if (bucketEndSec < newestEnd - options.keepSeconds) return;
      if (bucketEndSec > newestEnd) {
        newestEnd = bucketEndSec;
        for (const end of buckets.keys())
          if (end < newestEnd - options.keepSeconds) buckets.delete(end);
      }
      let keys = buckets.get(bucketEndSec);
      if (!keys) buckets.set(bucketEndSec, (keys = new Map()));
      const sent = keys.get(key);
      if (!sent) {
        keys.set(key, members.length > options.maxPerKey ? 'untracked' : { list: members });
        return;
      }
      const set = asSet(keys, key, sent);
      if (!set) return;
      for (const member of members) set.add(member);
      if (set.size > options.maxPerKey) keys.set(key, 'untracked');
    },

    clear() {
      buckets.clear();
      newestEnd = -Infinity;
    },
  };
}
