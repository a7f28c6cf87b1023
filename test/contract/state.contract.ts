import { describe, expect, it } from 'vitest';
import type { TopicMappingSpec } from '../../src/mappings/spec.js';
import type { FoldProgressStore } from '../../src/ports/fold-progress.js';
import type { MappingStore } from '../../src/ports/mappings.js';
import type { DedupStore, ReferenceStore } from '../../src/ports/reference-data.js';

export interface StateStores {
  reference: ReferenceStore;
  dedup: DedupStore;
  progress: FoldProgressStore;
  mappings: MappingStore;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

const mapping = (name: string, topic: string): TopicMappingSpec => ({
  name,
  topic,
  eventName: '$.type',
  dimensions: [{ name: 'country', path: '$.user.country' }],
  filter: [],
});

/** The behaviour both the Redis and the embedded SQLite state stores must share. */
export function describeStateContract(name: string, open: () => Promise<StateStores>) {
  describe(`state stores: ${name}`, () => {
    it('stores lookup tables per tenant and bumps the version on every put', async () => {
      const { reference } = await open();
      const before = await reference.version();
      expect(
        await reference.putLookup('acme', 'ads', 'ad_id', [
          { key: 'a1', values: { campaign_id: 'c7' } },
        ]),
      ).toBe(1);
      const afterFirst = await reference.version();
      expect(afterFirst).not.toBe(before);
      await reference.putLookup('acme', 'ads', 'ad_id', [
        { key: 'a1', values: { campaign_id: 'c8' } },
        { key: 'a2', values: { campaign_id: 'c9', channel: 'search' } },
      ]);
      await reference.putLookup('other', 'ads', 'ad_key', [
        { key: 'a1', values: { campaign_id: 'x' } },
      ]);
      expect(await reference.version()).not.toBe(afterFirst);

      const lookups = await reference.lookups();
      const acme = lookups.get('acme');
      expect(acme?.map((t) => [t.table, t.keyDimension])).toEqual([['ads', 'ad_id']]);
      expect(Object.fromEntries(acme![0]!.rows)).toEqual({
        a1: { campaign_id: 'c8' },
        a2: { campaign_id: 'c9', channel: 'search' },
      });
      expect(lookups.get('other')![0]!.keyDimension).toBe('ad_key');
      expect(Object.fromEntries(lookups.get('other')![0]!.rows)).toEqual({
        a1: { campaign_id: 'x' },
      });
    });

    it('claims an id once per tenant, and again for the same position (a redelivery)', async () => {
      const { dedup } = await open();
      const first = await dedup.claim(
        [
          { tenant: 'acme', id: 'e1', position: 'events:0:10' },
          { tenant: 'other', id: 'e1', position: 'events:1:3' },
        ],
        60_000,
      );
      expect(first).toEqual([true, true]);
      const again = await dedup.claim(
        [
          { tenant: 'acme', id: 'e1', position: 'events:0:10' },
          { tenant: 'acme', id: 'e1', position: 'events:2:99' },
          { tenant: 'acme', id: 'e2', position: 'events:2:100' },
        ],
        60_000,
      );
      expect(again).toEqual([true, false, true]);
    });

    it('lets the first of two positions for one id in one call win', async () => {
      const { dedup } = await open();
      const claimed = await dedup.claim(
        [
          { tenant: 'acme', id: 'twice', position: 'events:0:1' },
          { tenant: 'acme', id: 'twice', position: 'events:0:2' },
          { tenant: 'acme', id: 'twice', position: 'events:0:1' },
        ],
        60_000,
      );
      expect(claimed).toEqual([true, false, true]);
    });

    it('claims a batch larger than any single command takes', async () => {
      const { dedup } = await open();
      const batch = (offset: number) =>
        Array.from({ length: 40_000 }, (_, i) => ({
          tenant: 'acme',
          id: `bulk-${i}`,
          position: `events:0:${offset + i}`,
        }));
      expect((await dedup.claim(batch(0), 60_000)).every((c) => c)).toBe(true);
      expect((await dedup.claim(batch(0), 60_000)).every((c) => c)).toBe(true);
      expect((await dedup.claim(batch(1), 60_000)).some((c) => c)).toBe(false);
    });

    it('remembers a claim for its time to live, across a bucket boundary', async () => {
      const { dedup } = await open();
      const ttlMs = 1000;
      // Claimed shortly before a multiple of the ttl on this machine's clock (Redis's too), so a
      // store bucketing time by the ttl answers the next claims from the previous bucket.
      await sleep((ttlMs - 150 - (Date.now() % ttlMs) + ttlMs) % ttlMs);
      const claimedAt = Date.now();
      expect(await dedup.claim([{ tenant: 'acme', id: 'edge', position: 'p:0:1' }], ttlMs)).toEqual(
        [true],
      );
      await sleep(claimedAt + 400 - Date.now());
      expect(
        await dedup.claim(
          [
            { tenant: 'acme', id: 'edge', position: 'p:0:2' },
            { tenant: 'acme', id: 'edge', position: 'p:0:1' },
          ],
          ttlMs,
        ),
      ).toEqual([false, true]);
    });

    it('forgets a claim older than twice its time to live', async () => {
      const { dedup } = await open();
      const ttlMs = 200;
      expect(
        await dedup.claim([{ tenant: 'acme', id: 'short', position: 'p:0:1' }], ttlMs),
      ).toEqual([true]);
      await sleep(2 * ttlMs + 100);
      expect(
        await dedup.claim([{ tenant: 'acme', id: 'short', position: 'p:0:2' }], ttlMs),
      ).toEqual([true]);
    });

    it('keeps the last progress per partition', async () => {
      const { progress } = await open();
      await progress.record([
        { topic: 'events', partition: 0, offset: 5, recordTimestamp: 1000 },
        { topic: 'events', partition: 1, offset: 7, recordTimestamp: 2000 },
      ]);
      await progress.record([{ topic: 'events', partition: 0, offset: 9, recordTimestamp: 3000 }]);
      const read = await progress.read(['events', 'none']);
      expect(read.sort((a, b) => a.partition - b.partition)).toEqual([
        { topic: 'events', partition: 0, offset: 9, recordTimestamp: 3000 },
        { topic: 'events', partition: 1, offset: 7, recordTimestamp: 2000 },
      ]);
    });

    it('keeps topic mappings per owner and name, and moves the version on every change', async () => {
      const { mappings } = await open();
      const before = Number(await mappings.version());
      await mappings.put('acme', mapping('shop', 'transactions'));
      await mappings.put('globex', mapping('shop', 'clicks'));
      await mappings.put('acme', mapping('clicks', 'clicks'));
      const replaced = await mappings.put('acme', mapping('shop', 'transactions.v2'));
      expect(replaced).toMatchObject({ owner: 'acme', spec: { topic: 'transactions.v2' } });
      const afterPuts = Number(await mappings.version());
      expect(afterPuts).toBeGreaterThan(before);
      expect((await mappings.list()).map((m) => [m.owner, m.spec.name, m.spec.topic])).toEqual([
        ['acme', 'clicks', 'clicks'],
        ['acme', 'shop', 'transactions.v2'],
        ['globex', 'shop', 'clicks'],
      ]);
      expect((await mappings.list())[0]!.spec).toEqual(mapping('clicks', 'clicks'));
      expect(await mappings.remove('acme', 'shop')).toBe(true);
      expect(await mappings.remove('acme', 'shop')).toBe(false);
      expect(Number(await mappings.version())).toBeGreaterThan(afterPuts);
      expect((await mappings.list()).map((m) => [m.owner, m.spec.name])).toEqual([
        ['acme', 'clicks'],
        ['globex', 'shop'],
      ]);
    });
  });
}
