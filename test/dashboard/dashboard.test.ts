// The dashboard in a real browser (Debian's Chromium driven by playwright-core) on the embedded
// engines: the page is refused without a key, takes one in its settings, draws history then live
// data through the public API only, and its tiles and chart follow events ingested meanwhile.
// A screenshot of the final page is saved to test/artifacts/dashboard.png (git-ignored).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestDocument, LiveDocument, type EventInput } from '../generated/graphql.js';
import { startTestStack, type TestStack } from '../support/app.js';
import { apiClient, issueApiKeys, type ApiClient } from '../support/clients.js';
import { waitFor } from '../support/services.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');
const EVENT = 'page_view';
const COUNTRIES = ['DE', 'FR', 'US', 'BR'];

/** Events spread over [fromMs, toMs), their country by a fixed pattern, and how many each got. */
function events(count: number, fromMs: number, toMs: number) {
  const truth = new Map<string, number>();
  const list: EventInput[] = [];
  for (let i = 0; i < count; i++) {
    // Uneven shares, so the groups have a clear order: DE > FR > US > BR.
    const country = COUNTRIES[[0, 0, 0, 0, 1, 1, 1, 2, 2, 3][i % 10]!]!;
    truth.set(country, (truth.get(country) ?? 0) + 1);
    list.push({
      name: EVENT,
      timestamp: new Date(toMs - 1 - Math.floor(((toMs - fromMs) * i) / count)).toISOString(),
      value: 1 + (i % 7),
      userId: `u${i % 13}`,
      dimensions: { country, plan: i % 3 === 0 ? 'pro' : 'free' },
    });
  }
  return { list, truth };
}

const plus = (a: Map<string, number>, b: Map<string, number>) =>
  new Map(COUNTRIES.map((c) => [c, (a.get(c) ?? 0) + (b.get(c) ?? 0)]));

describe('the dashboard in Chromium', () => {
  let stack: TestStack;
  let client: ApiClient;
  let key: string;
  let profile: string;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    const issued = issueApiKeys(['dash']);
    key = issued.keys.dash!;
    stack = await startTestStack('embedded', { API_KEYS: issued.API_KEYS });
    client = apiClient(stack.url, key);
    profile = await mkdtemp(join(tmpdir(), 'pulsegraph-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 1000 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  const ingest = async (list: EventInput[]) => {
    const { body } = await client.request(IngestDocument, { events: list });
    expect(body.errors).toBeUndefined();
    expect(body.data!.ingest.accepted).toBe(list.length);
  };

  /** Waits until the API itself counts `total` events in the last hour. */
  const folded = (total: number) =>
    waitFor(
      async () => {
        const { body } = await client.request(LiveDocument, {
          metric: { event: EVENT, aggregate: 'COUNT' },
          window: '1h',
        });
        return body.data?.live[0]?.value === total;
      },
      { timeout: 15_000, message: `the fold to count ${total} events` },
    );

  /** What the page shows: tile values, chart legend totals and points, all by group. */
  const shown = () =>
    page.evaluate(() => {
      const byGroup = (selector: string, attribute: string, name: string) =>
        Object.fromEntries(
          [...document.querySelectorAll<HTMLElement>(selector)].map((e) => [
            e.dataset[name],
            Number(e.dataset[attribute]),
          ]),
        );
      return {
        tiles: byGroup('[data-tile]', 'value', 'group'),
        legend: byGroup('[data-series-group]', 'total', 'seriesGroup'),
        legendLast: byGroup('[data-series-group]', 'last', 'seriesGroup'),
        rows: [...document.querySelectorAll<HTMLElement>('#groups tbody tr')].map(
          (row) => row.dataset.group,
        ),
        tableLast: byGroup('#groups tbody tr', 'last', 'group'),
        points: Number(document.getElementById('chart')!.dataset.points ?? 0),
        canvas: document.querySelector('#chart canvas') !== null,
        freshness: document.querySelector('#freshness .text')!.textContent,
        status: document.getElementById('status')!.textContent,
      };
    });

  /** Polls the page until it shows `expected` in the tiles and the chart legend. */
  const showsNumbers = async (expected: Map<string, number>) => {
    const total = [...expected.values()].reduce((a, b) => a + b, 0);
    const want = Object.fromEntries(expected);
    return waitFor(
      async () => {
        const now = await shown();
        const tiles = Object.fromEntries(COUNTRIES.map((c) => [c, now.tiles[c]]));
        const legend = Object.fromEntries(COUNTRIES.map((c) => [c, now.legend[c]]));
        if (now.tiles.total !== total || JSON.stringify(tiles) !== JSON.stringify(want))
          throw new Error(
            `tiles show ${JSON.stringify(now.tiles)}, want ${total} and ${JSON.stringify(want)}`,
          );
        if (JSON.stringify(legend) !== JSON.stringify(want))
          throw new Error(
            `chart legend shows ${JSON.stringify(now.legend)}, want ${JSON.stringify(want)}`,
          );
        return now;
      },
      { timeout: 15_000, message: 'the dashboard to show the ingested numbers' },
    );
  };

  it('asks for a key, then draws history and follows live events in the chart, tiles and table', async () => {
    const first = events(120, Date.now() - 20 * 60_000, Date.now() - 1000);
    await ingest(first.list);
    await folded(120);

    const origin = new URL(stack.url).origin;
    const hash = `event=${EVENT}&aggregate=COUNT&window=1h&interval=1m&range=1h&groupBy=country`;
    // /dashboard redirects to /dashboard/, keeping the fragment.
    await page.goto(`${origin}/dashboard#${hash}`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/');

    // Without a key the API refuses, and the page says where to put one.
    await waitFor(async () => (await shown()).status?.includes('API key was refused'), {
      message: 'the page to report the refused key',
    });
    await page.click('#settings-toggle');
    await page.fill('#api-key', key);
    await page.click('#settings-form button[type=submit]');

    const history = await showsNumbers(first.truth);
    expect(history.canvas).toBe(true);
    // A point per minute bucket the events fall in (20 minutes of them, plus the open bucket).
    expect(history.points).toBeGreaterThanOrEqual(20);
    expect(history.rows).toEqual(['DE', 'FR', 'US', 'BR']);
    expect(history.freshness).toMatch(/folded through .* lag .* behind/);
    expect(await page.evaluate(() => localStorage.getItem('pulsegraph.apiKey'))).toBe(key);

    // Live: events of the last seconds reach the tiles (live subscription) and the open bucket
    // of the chart (series subscription) without reloading the page. They stay inside the open
    // minute: `series` does not send a bucket again once it said it was final.
    const now = Date.now();
    const second = events(50, Math.max(now - 2000, now - (now % 60_000)), now + 1);
    await ingest(second.list);
    const live = await showsNumbers(plus(first.truth, second.truth));
    expect(live.status).toBe('');
    // The table's last bucket follows the chart's open bucket, not only the live pushes.
    expect(Object.keys(live.legendLast)).toHaveLength(COUNTRIES.length);
    await waitFor(
      async () => {
        const now = await shown();
        return JSON.stringify(now.tableLast) === JSON.stringify(now.legendLast);
      },
      { message: "the table's last buckets to equal the chart's" },
    );

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
  });
});
