import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { Registry } from 'prom-client';
import type { ApiServices } from '../app/services.js';
import { schema } from '../../schema/index.js';
import { createApiMetrics } from '../observability/api-metrics.js';
import type { HttpRoute } from '../observability/http.js';
import { createAuthenticator } from './auth.js';
import { createContext, type ApiContext } from './context.js';
import { createDirectHttp } from './direct-http.js';
import { createMaskError } from './errors.js';
import { useResponseExtensions } from './extensions.js';
import { createFanOut } from './fanout.js';
import { EXAMPLE_OPERATIONS } from './graphiql.js';
import { inputRulesFrom } from './inputs.js';
import { createLiveFeed } from './live-feed.js';
import { useHttpAuth, useQueryLimits, type ServerContext } from './plugins.js';
import { createRateLimiter } from './rate-limit.js';
import { shareLiveReads } from './shared-reads.js';
import { createSeriesFeed } from './series-feed.js';
import { attachGraphqlWs } from './websocket.js';

export const GRAPHQL_PATH = '/graphql';

type LogFn = (object: unknown, message?: string) => void;
/** A pino logger fits; yoga's own logging goes through it too. */
export interface ApiLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

export interface ApiOptions {
  logger?: ApiLogger;
  /** Epoch ms; tests move it to a bucket's edge. */
  clock?: () => number;
  /** How long after a bucket's end it becomes final in `series` (see src/api/series-feed.ts). */
  seriesSettleMs?: number;
  /** GraphiQL at /graphql; default: in development only. */
  graphiql?: boolean;
  /** Where operation, subscription and connection metrics go; default: a registry of its own. */
  metrics?: Registry;
  /** Served before GraphQL on the same server, first match wins: the dashboard, /metrics, /health, /ready. */
  routes?: HttpRoute[];
}

export interface Api {
  yoga: YogaServerInstance<ServerContext, ApiContext>;
  /** The HTTP handler (`http.createServer(api.handle)`): `options.routes`, then queries, mutations, SSE subscriptions, GraphiQL. */
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Serves graphql-ws subscriptions on the server's /graphql upgrade requests. */
  attachWebSocket(server: Server): void;
  /** Creates the HTTP server with both transports and listens; port 0 picks a free one. */
  listen(port: number, host?: string): Promise<{ server: Server; url: string }>;
  /** Keys of the running shared subscription tickers (one per tenant, metric and cadence). */
  tickers(): string[];
  /** True when no API keys are configured: every request is tenant `default`. */
  open: boolean;
  /** Loud start-up notices (the open mode), already logged at warn through `options.logger`. */
  warnings: string[];
  /** Closes sockets and subscriptions, stops the tickers, and the server `listen` made. */
  close(): Promise<void>;
}

const silent: ApiLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** The GraphQL API of API.md over the ports of `services`; every store call is made for the caller's tenant. */
export async function createApi(services: ApiServices, options: ApiOptions = {}): Promise<Api> {
  const { config } = services;
  const { limits } = config;
  const logger = options.logger ?? silent;
  const clock = options.clock ?? Date.now;
  // Queries and tickers alike: identical live reads share one store read (src/api/shared-reads.ts).
  const live = shareLiveReads(services, { clock });
  const development = config.server.NODE_ENV === 'development';

  const authenticator = createAuthenticator(config.server.API_KEYS);
  const rateLimiter = createRateLimiter({
    perSecond: limits.RATE_LIMIT_PER_SECOND,
    burst: limits.RATE_LIMIT_BURST,
  });
  const maskError = createMaskError(limits);
  const fanOut = createFanOut({
    onError: (error, key) => logger.error({ err: error, key }, 'subscription ticker failed'),
    clock,
  });
  const feedDeps = {
    fanOut,
    clock,
    maxGroups: limits.MAX_GROUPS,
    freshness: services.freshness,
    live,
  };
  const liveFeed = createLiveFeed({ ...feedDeps, changes: services.changes });
  const seriesFeed = createSeriesFeed({
    ...feedDeps,
    history: services.history,
    settleMs: options.seriesSettleMs ?? 2000,
  });
  await liveFeed.start();
  const stopSharing = await services.changes.subscribe(live.changed);
  const apiMetrics = createApiMetrics({
    registry: options.metrics ?? new Registry(),
    log: (object, message) => logger.debug(object, message),
  });
  const contextDeps = {
    services: { ...services, live },
    inputRules: inputRulesFrom(config),
    clock,
    liveFeed,
    seriesFeed,
  };

  const yoga = createYoga<ServerContext, ApiContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    batching: false,
    maxRequestBodySize: limits.MAX_BODY_BYTES,
    maskedErrors: { maskError },
    logging: logger,
    graphiql: (options.graphiql ?? development) && {
      title: 'pulsegraph',
      defaultQuery: EXAMPLE_OPERATIONS,
      // SSE, so the Authorization header of the headers editor applies to subscriptions too.
      subscriptionsProtocol: 'SSE',
      headers: authenticator.open
        ? '{}'
        : JSON.stringify({ Authorization: 'Bearer <your API key>' }),
    },
    context: ({ principal }) => {
      // Both transports authenticate before this; a context without a principal is a wiring bug.
      if (!principal) throw new Error('operation reached the context without a principal');
      return createContext(contextDeps, principal);
    },
    plugins: [
      useHttpAuth({ authenticator, rateLimiter }),
      useQueryLimits({ maxDepth: limits.MAX_QUERY_DEPTH, maxCost: limits.MAX_QUERY_COST }),
      useResponseExtensions(),
      apiMetrics.plugin,
    ],
  });
  const routes = options.routes ?? [];
  const graphql = createDirectHttp({
    path: GRAPHQL_PATH,
    yoga,
    authenticator,
    rateLimiter,
    maxBodyBytes: limits.MAX_BODY_BYTES,
    maskError,
  });
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (!routes.some((route) => route(req, res))) graphql(req, res);
  };

  const sockets: { close(): Promise<void> }[] = [];
  const servers: Server[] = [];
  const warnings = authenticator.open
    ? [
        `NO API KEYS CONFIGURED: every request is served WITHOUT AUTHENTICATION as tenant "default" (${config.server.NODE_ENV} mode). Set API_KEYS=<sha256 hex>:<tenant>,... before exposing this server.`,
      ]
    : [];
  for (const warning of warnings) logger.warn(warning);

  const attachWebSocket = (server: Server) => {
    sockets.push(
      attachGraphqlWs({
        server,
        path: GRAPHQL_PATH,
        yoga,
        authenticator,
        rateLimiter,
        maxSubscriptions: limits.MAX_SUBSCRIPTIONS_PER_CONNECTION,
        maskError,
        // `live` pushes the frames of one ticker per (tenant, metric, window, every): its results
        // are the same for every subscriber of the same operation. `series` replays history from
        // each subscriber's own start, so it is executed per subscriber.
        sharedFields: new Set(['live']),
      }),
    );
  };

  return {
    yoga,
    handle,
    attachWebSocket,
    async listen(port, host = config.server.SERVER_HOST) {
      const server = createServer(handle);
      apiMetrics.watch(server);
      attachWebSocket(server);
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      const address = server.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return { server, url: `http://${shown}:${address.port}${GRAPHQL_PATH}` };
    },
    tickers: () => fanOut.keys(),
    open: authenticator.open,
    warnings,
    async close() {
      fanOut.close();
      await Promise.all(sockets.map((s) => s.close()));
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
      await liveFeed.close();
      await stopSharing();
      live.close();
      await yoga.dispose();
    },
  };
}
