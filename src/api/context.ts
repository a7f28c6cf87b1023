import DataLoader from 'dataloader';
import type { Config } from '../config.js';
import type { ApiServices, Freshness } from '../app/services.js';
import type { HistoryPath, HistoryQuery, HistoryResult } from '../ports/history.js';
import type { Principal } from './auth.js';
import { forbidden } from './errors.js';
import type { InputRules } from './inputs.js';
import { metricKey } from './inputs.js';
import type { LiveFeed } from './live-feed.js';
import type { SeriesFeed } from './series-feed.js';
import type { LiveWindowReader, SharedLiveReads } from './shared-reads.js';

/** The services as the API uses them: the live windows are only read. */
export type ApiReadServices = Omit<ApiServices, 'live'> & { live: LiveWindowReader };

/** What the resolvers of one operation see. Every store call takes `tenant` from here. */
export interface ApiContext {
  principal: Principal;
  tenant: string;
  services: ApiReadServices;
  limits: Config['limits'];
  inputRules: InputRules;
  clock: () => number;
  /** Dedupes identical history reads of one operation and runs the rest in one batch. */
  history: Pick<DataLoader<HistoryQuery, HistoryResult, string>, 'load'>;
  liveFeed: LiveFeed;
  seriesFeed: SeriesFeed;
  /** The freshness of this operation, read once however many fields ask. */
  freshness(): Promise<Freshness>;
  /** Added to the response's `extensions` (src/api/extensions.ts). */
  response: {
    freshness?: Freshness;
    /** The oldest freshness of the stale live answers read (src/api/shared-reads.ts): what they surely hold. */
    readFreshness?: Freshness;
    /** The HistoryPath each history field's answer came from, by response key. */
    historyPaths: Map<string, HistoryPath>;
  };
}

export interface ContextDeps {
  services: Omit<ApiServices, 'live'> & { live: SharedLiveReads };
  inputRules: InputRules;
  clock: () => number;
  liveFeed: LiveFeed;
  seriesFeed: SeriesFeed;
}

const historyKey = (query: HistoryQuery): string =>
  JSON.stringify([
    query.tenant,
    metricKey(query.metric),
    query.fromMs,
    query.toMs,
    query.intervalMs,
    query.maxGroups,
  ]);

/** The HistoryStore port answers one query per call, so a batch is the distinct queries at once. */
const historyLoader = (services: Pick<ApiServices, 'history'>) =>
  new DataLoader<HistoryQuery, HistoryResult, string>(
    async (queries) => {
      const settled = await Promise.allSettled(
        queries.map((query) => services.history.query(query)),
      );
      return settled.map((s) =>
        s.status === 'fulfilled'
          ? s.value
          : s.reason instanceof Error
            ? s.reason
            : new Error(String(s.reason)),
      );
    },
    { cacheKeyFn: historyKey },
  );

/** The one that says less: an unknown foldedThrough, else the earlier. */
export function olderFreshness(a: Freshness | undefined, b: Freshness | undefined) {
  if (!a || !b) return a ?? b;
  if (a.foldedThrough === null || b.foldedThrough === null) return a.foldedThrough === null ? a : b;
  return a.foldedThrough <= b.foldedThrough ? a : b;
}

export function createContext(deps: ContextDeps, principal: Principal): ApiContext {
  const { services } = deps;
  let freshness: Promise<Freshness> | undefined;
  let history: DataLoader<HistoryQuery, HistoryResult, string> | undefined;
  const response: ApiContext['response'] = { historyPaths: new Map() };
  const live: LiveWindowReader = {
    horizonMs: services.live.horizonMs,
    read: (request) =>
      services.live.answer(request).then((answer) => {
        if (answer.stale)
          response.readFreshness = olderFreshness(response.readFreshness, answer.freshness);
        return answer.stats;
      }),
  };
  return {
    principal,
    tenant: principal.tenant,
    services: { ...services, live },
    limits: services.config.limits,
    inputRules: deps.inputRules,
    clock: deps.clock,
    liveFeed: deps.liveFeed,
    seriesFeed: deps.seriesFeed,
    // Made on first use: most operations (live, ingest, lookups) read no history. Not a getter:
    // envelop merges the context with Object.assign, which calls getters, for every operation.
    history: { load: (query) => (history ??= historyLoader(services)).load(query) },
    freshness: () => (freshness ??= services.freshness.current()),
    response,
  };
}

export function requireWrite(context: ApiContext, what: string): void {
  if (!context.principal.canWrite) throw forbidden(`this API key is read-only: it may not ${what}`);
}
