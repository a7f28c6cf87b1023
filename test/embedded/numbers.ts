// Events of a small shop and what the API must answer for them: COUNT, SUM and UNIQUES with
// groupBy, from `live` and from `history`, computed here as ground truth.
import { random } from '../support/generator.js';
import { graphql } from './service.js';

export interface ShopEvent {
  id: string;
  name: 'page_view' | 'purchase' | 'signup';
  timestamp: string;
  userId: string;
  value?: number;
  dimensions: Record<string, string>;
}

const COUNTRIES = ['de', 'fr', 'us', 'jp'];
const PLANS = ['free', 'pro', 'team'];
const PAGES = ['/', '/pricing', '/docs', '/blog'];
/** Long, as real ones are: they make the log big enough to take several batches to replay. */
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
];
const REFERRERS = [
  'https://www.google.com/search?q=real+time+analytics+graphql&client=firefox-b-d&sca_esv=1',
  'https://news.ycombinator.com/item?id=41234567',
  'https://duckduckgo.com/?q=pulsegraph+analytics&ia=web',
];
const LANDINGS = ['spring-sale', 'docs-launch', 'retargeting'].map(
  (campaign) =>
    `https://shop.example.com/landing/${campaign}?utm_source=newsletter&utm_medium=email&utm_campaign=${campaign}&utm_content=hero-banner-variant-b&utm_term=analytics+dashboard`,
);
const HOUR_MS = 3_600_000;

/** `count` events stamped within the 10 minutes before `nowMs`, ids `<idPrefix>-<n>`. */
export function shopEvents(count: number, nowMs: number, seed: number, idPrefix: string) {
  const next = random(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  return Array.from({ length: count }, (_, n): ShopEvent => {
    const roll = next();
    const base = {
      id: `${idPrefix}-${n}`,
      timestamp: new Date(nowMs - Math.floor(next() * 600_000)).toISOString(),
      userId: `user-${Math.floor(next() * 200)}`,
    };
    const country = pick(COUNTRIES);
    if (roll < 0.75)
      return {
        ...base,
        name: 'page_view',
        dimensions: {
          page: pick(PAGES),
          country,
          plan: pick(PLANS),
          user_agent: pick(USER_AGENTS),
          referrer: pick(REFERRERS),
          landing: pick(LANDINGS),
        },
      };
    if (roll < 0.95)
      return {
        ...base,
        name: 'purchase',
        value: Math.floor(next() * 10_000) / 100,
        dimensions: { country, ad_id: `ad-${Math.floor(next() * 5)}` },
      };
    return { ...base, name: 'signup', dimensions: { plan: pick(PLANS) } };
  });
}

/** One figure per answer: `group` for live, `group@bucketStart` for history (1 h buckets). */
export type Figures = Record<string, number>;

export interface Numbers {
  viewsByCountry: Figures;
  revenueByCountry: Figures;
  usersByPlan: Figures;
  viewsByCountryHistory: Figures;
  revenueByCountryHistory: Figures;
  usersByPlanHistory: Figures;
}

const hourOf = (timestamp: string) =>
  new Date(Math.floor(Date.parse(timestamp) / HOUR_MS) * HOUR_MS).toISOString();

/** What the answers must be. Sums are rounded to cents: the stores keep micro-units. */
export function truthOf(events: ShopEvent[]): Numbers {
  const numbers: Numbers = {
    viewsByCountry: {},
    revenueByCountry: {},
    usersByPlan: {},
    viewsByCountryHistory: {},
    revenueByCountryHistory: {},
    usersByPlanHistory: {},
  };
  const users = new Map<string, Set<string>>();
  const add = (figures: Figures, key: string, amount: number) =>
    (figures[key] = cents((figures[key] ?? 0) + amount));
  const addUser = (answer: string, key: string, user: string) => {
    const id = `${answer}|${key}`;
    if (!users.has(id)) users.set(id, new Set());
    users.get(id)!.add(user);
  };
  for (const e of events) {
    const hour = hourOf(e.timestamp);
    const { country, plan } = e.dimensions as { country: string; plan: string };
    if (e.name === 'page_view') {
      add(numbers.viewsByCountry, country, 1);
      add(numbers.viewsByCountryHistory, `${country}@${hour}`, 1);
      addUser('usersByPlan', plan, e.userId);
      addUser('usersByPlanHistory', `${plan}@${hour}`, e.userId);
    } else if (e.name === 'purchase') {
      add(numbers.revenueByCountry, country, e.value!);
      add(numbers.revenueByCountryHistory, `${country}@${hour}`, e.value!);
    }
  }
  for (const [id, set] of users) {
    const [answer, key] = id.split('|') as [keyof Numbers, string];
    numbers[answer][key] = set.size;
  }
  return numbers;
}

const cents = (value: number) => Math.round(value * 100) / 100;

const NUMBERS_QUERY = `
  query Numbers($from: DateTime!) {
    viewsByCountry: live(metric: { event: "page_view", groupBy: "country" }, window: "1h") { group value }
    revenueByCountry: live(metric: { event: "purchase", aggregate: SUM, groupBy: "country" }, window: "1h") { group value }
    usersByPlan: live(metric: { event: "page_view", aggregate: UNIQUES, groupBy: "plan" }, window: "1h") { group value }
    viewsByCountryHistory: history(metric: { event: "page_view", groupBy: "country" }, from: $from, interval: "1h") { group points { time value } }
    revenueByCountryHistory: history(metric: { event: "purchase", aggregate: SUM, groupBy: "country" }, from: $from, interval: "1h") { group points { time value } }
    usersByPlanHistory: history(metric: { event: "page_view", aggregate: UNIQUES, groupBy: "plan" }, from: $from, interval: "1h") { group points { time value } }
  }`;

type WindowValues = { group: string | null; value: number | null }[];
type SeriesList = { group: string | null; points: { time: string; value: number | null }[] }[];

/** Every answer of NUMBERS_QUERY since `fromMs`, as Figures (empty buckets and groups left out). */
export async function readNumbers(url: string, fromMs: number): Promise<Numbers> {
  const data = await graphql<Record<keyof Numbers, WindowValues | SeriesList>>(url, NUMBERS_QUERY, {
    from: new Date(fromMs).toISOString(),
  });
  const windows = (values: WindowValues): Figures =>
    Object.fromEntries(
      values.filter((v) => v.value !== null).map((v) => [String(v.group), cents(v.value!)]),
    );
  const series = (list: SeriesList): Figures =>
    Object.fromEntries(
      list.flatMap((s) =>
        s.points
          .filter((p) => p.value !== null)
          .map((p) => [`${s.group}@${p.time}`, cents(p.value!)]),
      ),
    );
  return {
    viewsByCountry: windows(data.viewsByCountry as WindowValues),
    revenueByCountry: windows(data.revenueByCountry as WindowValues),
    usersByPlan: windows(data.usersByPlan as WindowValues),
    viewsByCountryHistory: series(data.viewsByCountryHistory as SeriesList),
    revenueByCountryHistory: series(data.revenueByCountryHistory as SeriesList),
    usersByPlanHistory: series(data.usersByPlanHistory as SeriesList),
  };
}

export const INGEST = `
  mutation Ingest($events: [EventInput!]!) {
    ingest(events: $events) { accepted rejected { index reason } }
  }`;

/** Ingests in batches of `batchSize`; throws unless every event is accepted. */
export async function ingestAll(url: string, events: ShopEvent[], batchSize = 250): Promise<void> {
  for (let i = 0; i < events.length; i += batchSize) {
    const batch = events.slice(i, i + batchSize);
    const { ingest } = await graphql<{
      ingest: { accepted: number; rejected: { index: number; reason: string }[] };
    }>(url, INGEST, { events: batch });
    if (ingest.accepted !== batch.length)
      throw new Error(`ingest rejected events: ${JSON.stringify(ingest.rejected)}`);
  }
}
