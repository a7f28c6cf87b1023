// A real API server for the tests of test/api: createApi over REAL embedded adapters (memory live
// windows, SQLite history, in-process change feed, SQLite reference data, the embedded log behind
// the real ingestor), a real HTTP server on an ephemeral port, and real graphql-ws and SSE clients.
// `fold()` writes events straight into the stores as the fold does (aggregateLive + apply, insert,
// publish "changed"); freshness is a settable stand-in for the lead's log-based FreshnessSource.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { createClient as createSseClient, type Client as SseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createMemoryChangeFeed } from '../../src/adapters/memory/change-feed.js';
import { createMemoryLiveWindows } from '../../src/adapters/memory/live-windows.js';
import { createEmbeddedEventLog } from '../../src/adapters/embedded-log/event-log.js';
import { createSqliteHistory } from '../../src/adapters/sqlite/history.js';
import { createSqliteState } from '../../src/adapters/sqlite/state.js';
import { hashApiKey } from '../../src/api/auth.js';
import { createApi, type Api } from '../../src/api/server.js';
import type { ApiServices, Freshness } from '../../src/app/services.js';
import { loadConfig } from '../../src/config.js';
import type { PositionedEvent } from '../../src/events/event.js';
import { eventLimitsFrom } from '../../src/events/validate.js';
import { createIngestor } from '../../src/ingest/ingestor.js';
import { aggregateLive } from '../../src/live/aggregate.js';
import type { ChangeNotice } from '../../src/ports/change-feed.js';
import type { EventLog } from '../../src/ports/event-log.js';

export interface TestEvent {
  tenant: string;
  name: string;
  timestamp: number;
  userId?: string | null;
  value?: number | null;
  dimensions?: Record<string, string>;
}

export interface HarnessOptions {
  /** tenant -> how many keys; default one key each for tenants `acme` and `globex`. */
  tenants?: string[];
  /** Tenants whose key is read-only (`:read`). */
  readOnly?: string[];
  /** Tenants that also get an admin key (`:admin`), under `keys['<tenant>:admin']`. */
  admins?: string[];
  /** No API keys at all: the open development mode. */
  open?: boolean;
  /** Settings on top of the defaults (limits etc.). */
  settings?: Record<string, string>;
  seriesSettleMs?: number;
}

export interface Harness {
  url: string;
  wsUrl: string;
  api: Api;
  services: ApiServices;
  /** What the API logged at warn or error. */
  logged: string[];
  /** The embedded log the ingestor writes to (topic `events`). */
  log: EventLog;
  /** The plain API key of each tenant (and `<tenant>:read` for read-only ones). */
  keys: Record<string, string>;
  /** What the API and the stores take as now: Date.now() + clockOffsetMs. */
  now(): number;
  clockOffsetMs: number;
  /** Settable freshness; foldedThrough null = "now" (caught up). */
  freshness: { foldedThrough: number | null; behind: number };
  fold(events: TestEvent[]): Promise<void>;
  /** POSTs a typed operation; `key` null sends no Authorization header. */
  request<R, V>(
    document: TypedDocumentNode<R, V>,
    variables: V,
    key?: string | null,
  ): Promise<{ status: number; body: ExecutionResult<R, Record<string, unknown>> }>;
  /** POSTs any body (for malformed requests). */
  post(body: string, headers?: Record<string, string>): Promise<Response>;
  ws(key: string | null, onClosed?: (event: unknown) => void): WsClient;
  sse(key: string | null): SseClient;
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const tenants = options.tenants ?? ['acme', 'globex'];
  const keys: Record<string, string> = {};
  const entries: string[] = [];
  if (!options.open)
    for (const tenant of tenants) {
      keys[tenant] = `key-${tenant}-${randomBytes(8).toString('hex')}`;
      entries.push(`${hashApiKey(keys[tenant]!)}:${tenant}`);
      if (options.readOnly?.includes(tenant)) {
        keys[`${tenant}:read`] = `ro-${tenant}-${randomBytes(8).toString('hex')}`;
        entries.push(`${hashApiKey(keys[`${tenant}:read`]!)}:${tenant}:read`);
      }
      if (options.admins?.includes(tenant)) {
        keys[`${tenant}:admin`] = `admin-${tenant}-${randomBytes(8).toString('hex')}`;
        entries.push(`${hashApiKey(keys[`${tenant}:admin`]!)}:${tenant}:admin`);
      }
    }
  const config = loadConfig({
    NODE_ENV: 'test',
    API_KEYS: entries.join(','),
    ...options.settings,
  });
  const dir = mkdtempSync(join(tmpdir(), 'pulsegraph-api-'));
  const harness = { clockOffsetMs: 0 } as Harness;
  const now = () => Date.now() + harness.clockOffsetMs;
  const horizonMs = config.fold.LIVE_HORIZON_SECONDS * 1000;

  const log = createEmbeddedEventLog({ dir: join(dir, 'log'), partitions: 1 });
  await log.ensureTopics(['events'], 1);
  const producer = log.producer();
  const state = createSqliteState({ file: join(dir, 'state.db') });
  const freshnessState = { foldedThrough: null as number | null, behind: 0 };
  const services: ApiServices = {
    config,
    live: createMemoryLiveWindows({ horizonMs, clock: now }),
    history: createSqliteHistory({ file: join(dir, 'history.db') }),
    changes: createMemoryChangeFeed(),
    reference: state.reference,
    mappings: state.mappings,
    ingestor: createIngestor({
      producer,
      topic: 'events',
      limits: eventLimitsFrom(config.fold),
      maxBatch: config.limits.MAX_INGEST_BATCH,
      maxMessageBytes: config.fold.MAX_MESSAGE_BYTES,
      clock: now,
    }),
    freshness: {
      async current(): Promise<Freshness> {
        const t = now();
        const through = freshnessState.foldedThrough ?? t;
        return { foldedThrough: through, lagMs: t - through, behind: freshnessState.behind };
      },
    },
  };
  // What the API logs at warn and above is kept in `warnings`; API_TEST_LOG=1 prints every line
  // (masked errors' originals among them).
  const warnings: string[] = [];
  const line = (level: string) => (object: unknown, message?: string) => {
    if (level === 'warn' || level === 'error') warnings.push(message ?? String(object));
    if (process.env.API_TEST_LOG === '1') console.log(`[api ${level}]`, message ?? '', object);
  };
  const logger = {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
  };
  const api = await createApi(services, {
    clock: now,
    seriesSettleMs: options.seriesSettleMs ?? 500,
    logger,
  });
  const { url } = await api.listen(0, '127.0.0.1');
  let offset = 0;

  Object.assign(harness, {
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    api,
    services,
    log,
    logged: warnings,
    keys,
    now,
    freshness: freshnessState,
    async fold(events: TestEvent[]) {
      if (events.length === 0) return;
      const positioned: PositionedEvent[] = events.map((e) => ({
        id: randomBytes(8).toString('hex'),
        tenant: e.tenant,
        name: e.name,
        timestamp: e.timestamp,
        userId: e.userId ?? null,
        value: e.value ?? null,
        dimensions: e.dimensions ?? {},
        topic: 'events',
        partition: 0,
        offset: offset++,
      }));
      const { groups } = aggregateLive(positioned, { nowMs: now(), horizonMs });
      await services.live.apply({
        topic: 'events',
        partition: 0,
        fromOffset: positioned[0]!.offset,
        toOffset: positioned.at(-1)!.offset,
        groups,
      });
      await services.history.insert(positioned);
      const notices: ChangeNotice[] = groups.map((g) => {
        const seconds = [...g.seconds.keys()];
        return {
          tenant: g.tenant,
          event: g.event,
          fromSec: Math.min(...seconds),
          toSec: Math.max(...seconds),
        };
      });
      await services.changes.publish(notices);
    },
    async request(document, variables, key) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (key) headers.authorization = `Bearer ${key}`;
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query: print(document), variables }),
      });
      return { status: response.status, body: await response.json() };
    },
    post: (body: string, headers: Record<string, string> = {}) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      }),
    ws(key: string | null, onClosed?: (event: unknown) => void) {
      return createWsClient({
        url: harness.wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: key ? { authorization: `Bearer ${key}` } : {},
        retryAttempts: 0,
        lazy: true,
        on: onClosed ? { closed: onClosed } : {},
      });
    },
    sse(key: string | null) {
      return createSseClient({
        url,
        headers: key ? { authorization: `Bearer ${key}` } : {},
        retryAttempts: 0,
      });
    },
    async close() {
      await api.close();
      await services.changes.close();
      await services.live.close();
      await services.history.close();
      state.close();
      await producer.close();
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    },
  } satisfies Omit<Harness, 'clockOffsetMs'>);
  return harness;
}

/** Collects what a subscription sends, for assertions with waitFor. */
export { collect, operation, type Collected } from '../support/clients.js';
