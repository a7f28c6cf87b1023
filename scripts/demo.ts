// Realistic traffic through the public GraphQL API, for trying the service out:
//   npm run demo -- --url http://localhost:4000/graphql --key <API key> --rate 50 [--seconds 60]
// Stores an `ads` lookup (ad_id -> campaign, channel), then ingests page views, purchases and
// signups at about `rate` events a second, one batch every 200 ms, until Ctrl-C or --seconds.
// Every 5 s it prints one line: what was sent and accepted, and what the live windows say.
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://localhost:4000/graphql' },
    key: { type: 'string' },
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string' },
  },
});
const rate = Number(args.rate);
const seconds = args.seconds === undefined ? Infinity : Number(args.seconds);
if (!(rate > 0) || !(seconds > 0)) {
  console.error('demo: --rate and --seconds take positive numbers');
  process.exit(2);
}

const BATCH_EVERY_MS = 200;
const SUMMARY_EVERY_MS = 5000;
const PAGES = ['/', '/pricing', '/docs', '/docs/getting-started', '/blog', '/signup'];
const COUNTRIES = ['us', 'de', 'fr', 'gb', 'jp', 'br', 'in'];
const DEVICES = ['desktop', 'mobile', 'tablet'];
const PLANS = ['free', 'pro', 'team'];
const ADS = {
  'ad-101': { campaign: 'spring-sale', channel: 'search' },
  'ad-102': { campaign: 'spring-sale', channel: 'social' },
  'ad-201': { campaign: 'docs-launch', channel: 'newsletter' },
  'ad-202': { campaign: 'docs-launch', channel: 'search' },
  'ad-301': { campaign: 'retargeting', channel: 'display' },
};

/** The message, with the cause fetch hides behind "fetch failed" (ECONNREFUSED and the like). */
const reason = (error: unknown): string =>
  error instanceof Error
    ? error.cause instanceof Error
      ? `${error.message} (${error.cause.message})`
      : error.message
    : String(error);

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

async function graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(args.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(args.key ? { authorization: `Bearer ${args.key}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length || !body.data)
    throw new Error(body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${response.status}`);
  return body.data;
}

/** One event as a visitor makes it: mostly page views, some purchases, a few signups. */
function nextEvent() {
  const user = Math.floor(Math.random() * 500);
  const userId = `user-${user}`;
  // A user keeps a country and plan, so groupBy answers look like a real audience.
  const country = COUNTRIES[user % COUNTRIES.length]!;
  const plan = PLANS[user % PLANS.length]!;
  const roll = Math.random();
  if (roll < 0.85)
    return {
      name: 'page_view',
      userId,
      dimensions: { page: pick(PAGES), country, device: pick(DEVICES), plan },
    };
  if (roll < 0.97)
    return {
      name: 'purchase',
      userId,
      value: Math.round((5 + Math.random() * 195) * 100) / 100,
      dimensions: { ad_id: pick(Object.keys(ADS)), country, plan },
    };
  return { name: 'signup', userId, dimensions: { country, plan } };
}

const totals = { sent: 0, accepted: 0, rejected: 0, failedBatches: 0 };
let lastError: string | undefined;

async function sendBatch(count: number): Promise<void> {
  const events = Array.from({ length: count }, nextEvent);
  totals.sent += count;
  try {
    const { ingest } = await graphql<{ ingest: { accepted: number; rejected: unknown[] } }>(
      'mutation Ingest($events: [EventInput!]!) { ingest(events: $events) { accepted rejected { index reason } } }',
      { events },
    );
    totals.accepted += ingest.accepted;
    totals.rejected += ingest.rejected.length;
  } catch (error) {
    totals.failedBatches++;
    lastError = reason(error);
  }
}

async function summary(startedAt: number): Promise<string> {
  const elapsed = (Date.now() - startedAt) / 1000;
  const sent = `sent ${totals.sent} (${(totals.sent / elapsed).toFixed(0)}/s), accepted ${totals.accepted}, rejected ${totals.rejected}, failed batches ${totals.failedBatches}`;
  try {
    const live = await graphql<{
      views: { value: number | null }[];
      revenue: { value: number | null }[];
      channels: { group: string; value: number | null }[];
      freshness: { lagMs: number | null };
    }>(`
      {
        views: live(metric: { event: "page_view" }, window: "1m") {
          value
        }
        revenue: live(metric: { event: "purchase", aggregate: SUM }, window: "1m") {
          value
        }
        channels: live(metric: { event: "purchase", groupBy: "channel" }, window: "1m") {
          group
          value
        }
        freshness {
          lagMs
        }
      }
    `);
    const channels = live.channels.map((c) => `${c.group} ${c.value ?? 0}`).join(', ');
    return `${sent} | last minute: ${live.views[0]?.value ?? 0} views, revenue ${(live.revenue[0]?.value ?? 0).toFixed(2)}, purchases by channel: ${channels || 'none'} | lag ${live.freshness.lagMs ?? '?'} ms`;
  } catch (error) {
    return `${sent} | live read failed: ${reason(error)}`;
  }
}

const stamp = () => new Date().toISOString().slice(11, 19);

try {
  const rows = Object.entries(ADS).map(([key, values]) => ({ key, values }));
  const { putLookup } = await graphql<{ putLookup: number }>(
    'mutation Ads($rows: [LookupRow!]!) { putLookup(table: "ads", keyDimension: "ad_id", rows: $rows) }',
    { rows },
  );
  console.log(`${stamp()} stored ${putLookup} ads (ad_id -> campaign, channel) at ${args.url}`);
} catch (error) {
  console.error(`demo: cannot use ${args.url}: ${reason(error)}`);
  process.exit(1);
}

let running = true;
process.once('SIGINT', () => (running = false));
const startedAt = Date.now();
let lastSummary = startedAt;
while (running && Date.now() - startedAt < seconds * 1000) {
  const tick = Date.now();
  // Events owed since the start, so a slow request does not lower the rate; at most the
  // server's default batch limit in one request.
  const due = Math.floor((rate * (tick - startedAt)) / 1000 - totals.sent);
  if (due >= 1) await sendBatch(Math.min(due, 1000));
  if (tick - lastSummary >= SUMMARY_EVERY_MS) {
    lastSummary = tick;
    console.log(`${stamp()} ${await summary(startedAt)}`);
    if (lastError) console.log(`${stamp()}   last failure: ${lastError}`);
    lastError = undefined;
  }
  await new Promise((resolve) =>
    setTimeout(resolve, Math.max(0, tick + BATCH_EVERY_MS - Date.now())),
  );
}
console.log(`${stamp()} done: ${await summary(startedAt)}`);
