// The embedded service killed in the middle of a continuous ingest: every event the API
// acknowledged must be counted exactly once after the restart, in live and in history; events
// of unacknowledged requests may or may not be, but never twice. A SIGKILL does not stop a write
// the kernel has begun, so the tail a power cut tears off an append is written here by hand.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeFrames } from '../../src/adapters/embedded-log/record-frame.js';
import { waitFor } from '../support/services.js';
import { INGEST } from './numbers.js';
import { killAll, startService, type RunningService } from '../support/service-process.js';
import { graphql, waitUntilFolded } from './service.js';

const BATCH = 40;
const WRITERS = 3;
const ROUNDS = 3;
/** Batches are told apart by a dimension: one group per batch in the answers. */
const SETTINGS = {
  MAX_GROUPS: '5000',
  RATE_LIMIT_PER_SECOND: '100000',
  RATE_LIMIT_BURST: '100000',
};

const dataDir = mkdtempSync(join(tmpdir(), 'pulsegraph-torn-'));
const historyFrom = new Date(Date.now() - 3_600_000).toISOString();

afterAll(() => {
  killAll();
  rmSync(dataDir, { recursive: true, force: true });
});

type Outcome = 'acknowledged' | 'unknown';
const outcomes = new Map<string, Outcome>();

const batchEvents = (batch: string) =>
  Array.from({ length: BATCH }, (_, i) => ({
    id: `${batch}-${i}`,
    name: 'page_view',
    userId: `user-${i % 16}`,
    dimensions: { batch, page: '/pricing' },
  }));

/** One writer: sends batch after batch until a request fails (the process is gone). */
async function writer(url: string, next: () => string): Promise<void> {
  for (;;) {
    const batch = next();
    outcomes.set(batch, 'unknown');
    try {
      const { ingest } = await graphql<{ ingest: { accepted: number } }>(url, INGEST, {
        events: batchEvents(batch),
      });
      if (ingest.accepted !== BATCH) throw new Error(`accepted ${ingest.accepted} of ${BATCH}`);
      outcomes.set(batch, 'acknowledged');
    } catch {
      return;
    }
  }
}

/** Half of a record holding a whole batch, on the end of partition 0: what a torn append leaves. */
function tearPartitionTail(): void {
  const frame = encodeFrames(
    [
      {
        key: 'user-0',
        value: Buffer.from(JSON.stringify(batchEvents('torn'))),
        headers: { tenant: 'default' },
      },
    ],
    Date.now(),
  );
  appendFileSync(
    join(dataDir, 'log', 'topics', 'events', '0.log'),
    frame.subarray(0, frame.length >> 1),
  );
}

type Counts = Map<string, number>;

async function countsByBatch(url: string): Promise<{ live: Counts; history: Counts }> {
  const data = await graphql<{
    live: { group: string; value: number }[];
    history: { group: string; points: { value: number | null }[] }[];
  }>(
    url,
    `
      query Batches($from: DateTime!) {
        live(metric: { event: "page_view", groupBy: "batch" }, window: "1h") {
          group
          value
        }
        history(metric: { event: "page_view", groupBy: "batch" }, from: $from, interval: "1h") {
          group
          points {
            value
          }
        }
      }
    `,
    { from: historyFrom },
  );
  return {
    live: new Map(data.live.map((v) => [v.group, v.value])),
    history: new Map(
      data.history.map((s) => [s.group, s.points.reduce((sum, p) => sum + (p.value ?? 0), 0)]),
    ),
  };
}

describe('the embedded service killed during ingest', () => {
  it(`counts every acknowledged event exactly once after ${ROUNDS} SIGKILLs and torn tails`, async () => {
    let service: RunningService = await startService(dataDir, SETTINGS);
    let sent = 0;
    /** What each unacknowledged batch counted at the first look: it must never change after. */
    const settled = new Map<string, number>();

    for (let round = 0; round < ROUNDS; round++) {
      const acknowledgedBefore = [...outcomes.values()].filter((o) => o === 'acknowledged').length;
      const killAfter = acknowledgedBefore + 30 + Math.floor(Math.random() * 60);
      const writers = Array.from({ length: WRITERS }, () =>
        writer(service.url, () => `r${round}-b${sent++}`),
      );
      await waitFor(
        () => [...outcomes.values()].filter((o) => o === 'acknowledged').length >= killAfter,
        { timeout: 30_000, interval: 5, message: `${killAfter} acknowledged batches` },
      );
      expect(await service.stop('SIGKILL')).toBeNull();
      await Promise.all(writers);
      tearPartitionTail();

      service = await startService(dataDir, SETTINGS);
      expect(service.output()).toContain('cut a torn record off the end of a partition');
      await waitUntilFolded(service.url);
      const { live, history } = await countsByBatch(service.url);

      expect(new Set([...history.keys(), ...live.keys()]).size).toBe(history.size);
      for (const [batch, count] of history) {
        expect(live.get(batch), `live and history of ${batch}`).toBe(count);
        expect(outcomes.has(batch), `${batch} was sent`).toBe(true);
      }
      for (const [batch, outcome] of outcomes) {
        const count = history.get(batch) ?? 0;
        if (outcome === 'acknowledged') expect(count, `acknowledged ${batch}`).toBe(BATCH);
        else {
          expect(count, `unacknowledged ${batch}`).toBeLessThanOrEqual(BATCH);
          expect(count, `unacknowledged ${batch}, once settled`).toBe(settled.get(batch) ?? count);
          settled.set(batch, count);
        }
      }
      console.log(
        `[embedded] round ${round + 1}: ${outcomes.size - settled.size} batches acknowledged; ` +
          `events counted of each unacknowledged one: ${[...settled.values()].join(', ')}`,
      );
    }

    expect(await service.stop('SIGTERM')).toBe(0);
  }, 180_000);
});
