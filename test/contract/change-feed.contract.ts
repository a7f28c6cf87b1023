// The contract every ChangeFeed keeps, run against each adapter (change-feed.test.ts).
import { afterEach, describe, expect, it } from 'vitest';
import type { ChangeFeed, ChangeNotice } from '../../src/ports/change-feed.js';
import { waitFor } from '../support/services.js';

export interface FeedsUnderTest {
  /** The fold's side. */
  publishing: ChangeFeed;
  /** An API process's side (the same feed in one process). */
  subscribing: ChangeFeed;
  cleanup(): Promise<void>;
}

const notice = (n: number, tenant = 'acme'): ChangeNotice => ({
  tenant,
  event: `page_view{${n}}`,
  fromSec: 1_700_000_000 + n,
  toSec: 1_700_000_002 + n,
});

function collector() {
  const received: ChangeNotice[] = [];
  return { received, listener: (n: ChangeNotice) => received.push(n) };
}

export function describeChangeFeedContract(
  name: string,
  makeFeeds: () => Promise<FeedsUnderTest>,
): void {
  describe(`change feed contract: ${name}`, () => {
    let feeds: FeedsUnderTest | undefined;
    const open = async () => (feeds = await makeFeeds());
    afterEach(async () => {
      await feeds?.cleanup();
      feeds = undefined;
    });

    it('delivers every notice of a publish, in order, to every subscriber', async () => {
      const { publishing, subscribing } = await open();
      const a = collector();
      const b = collector();
      await subscribing.subscribe(a.listener);
      await subscribing.subscribe(b.listener);
      const batch = [notice(1), notice(2, 'other'), notice(3)];
      await publishing.publish(batch);
      await waitFor(() => a.received.length === 3 && b.received.length === 3, { timeout: 5000 });
      expect(a.received).toEqual(batch);
      expect(b.received).toEqual(batch);
    });

    it('stops delivering to a listener once it unsubscribes', async () => {
      const { publishing, subscribing } = await open();
      const gone = collector();
      const stays = collector();
      const unsubscribe = await subscribing.subscribe(gone.listener);
      await subscribing.subscribe(stays.listener);
      await publishing.publish([notice(1)]);
      await waitFor(() => gone.received.length === 1 && stays.received.length === 1, {
        timeout: 5000,
      });
      await unsubscribe();
      await publishing.publish([notice(2)]);
      await waitFor(() => stays.received.length === 2, { timeout: 5000 });
      expect(gone.received).toEqual([notice(1)]);
    });

    it('keeps working after the last listener left and a new one came', async () => {
      const { publishing, subscribing } = await open();
      const first = collector();
      await (
        await subscribing.subscribe(first.listener)
      )();
      const second = collector();
      await subscribing.subscribe(second.listener);
      await publishing.publish([notice(5)]);
      await waitFor(() => second.received.length === 1, { timeout: 5000 });
      expect(first.received).toEqual([]);
    });

    it('publishes nothing for an empty list', async () => {
      const { publishing, subscribing } = await open();
      const c = collector();
      await subscribing.subscribe(c.listener);
      await publishing.publish([]);
      await publishing.publish([notice(9)]);
      await waitFor(() => c.received.length >= 1, { timeout: 5000 });
      expect(c.received).toEqual([notice(9)]);
    });

    it('delivers nothing after close', async () => {
      const { publishing, subscribing } = await open();
      const c = collector();
      await subscribing.subscribe(c.listener);
      await subscribing.close();
      const witness = await makeFeeds();
      try {
        const w = collector();
        await witness.subscribing.subscribe(w.listener);
        await publishing.publish([notice(1)]);
        await witness.publishing.publish([notice(2)]);
        // the witness (on the same channel, when there is one) got the later notice: the earlier
        // one would have reached the closed feed by then
        await waitFor(() => w.received.some((n) => n.fromSec === notice(2).fromSec), {
          timeout: 5000,
        });
        expect(c.received).toEqual([]);
      } finally {
        await witness.cleanup();
      }
    });
  });
}
