import { createApi } from '../api/server.js';
import { createDashboardRoute } from '../dashboard/route.js';
import { eventLimitsFrom } from '../events/validate.js';
import { createIngestor } from '../ingest/ingestor.js';
import { createMappingRegistry, pollMappings } from '../mappings/registry.js';
import { engineChecks } from '../observability/health.js';
import { createObservabilityRoute } from '../observability/http.js';
import { countIngest } from '../observability/ingest-metrics.js';
import { createMetricsRegistry } from '../observability/registry.js';
import type { ApiStarter, Part } from './run.js';
import { createFreshness } from './freshness.js';

/** The running API; `url` names the port it took (PORT=0 picks a free one). */
export interface ApiPart extends Part {
  url: string;
}

/**
 * Starts the GraphQL API (HTTP, SSE and WebSocket on one port) over the engines, with the
 * dashboard at /dashboard and /metrics, /health, /ready on the same port. Without the process's
 * observability (an API alone in a test) it makes its own, over the engines' readiness.
 */
export const startApi = (async ({ config, logger, engines, observability }): Promise<ApiPart> => {
  const registry = observability?.registry ?? createMetricsRegistry();
  const observabilityRoute =
    observability?.route ??
    createObservabilityRoute({
      registry,
      checks: engineChecks(engines, config.kafka.INGEST_TOPICS),
    });
  const producer = engines.log.producer();
  // Freshness covers what the fold reads: the mapped topics too, as they are set at run time.
  const mappings = createMappingRegistry({
    store: engines.mappings,
    fileMappings: config.fold.TOPIC_MAPPINGS_FILE.mappings,
  });
  const warn = (error: unknown) =>
    logger.warn({ err: (error as Error).message }, 'reading topic mappings failed');
  await mappings.refresh().catch(warn);
  const stopPolling = pollMappings(mappings, config.fold.MAPPINGS_POLL_MS, warn);
  const ingestor = createIngestor({
    producer,
    topic: config.kafka.INGEST_TOPICS[0]!,
    limits: eventLimitsFrom(config.fold),
    maxBatch: config.limits.MAX_INGEST_BATCH,
    maxMessageBytes: config.fold.MAX_MESSAGE_BYTES,
  });
  const api = await createApi(
    {
      config,
      live: engines.live,
      history: engines.history,
      changes: engines.changes,
      reference: engines.reference,
      mappings: engines.mappings,
      ingestor: countIngest(ingestor, registry),
      freshness: createFreshness({
        log: engines.log,
        progress: engines.progress,
        topics: () => [...config.kafka.INGEST_TOPICS, ...mappings.topics()],
      }),
    },
    { logger, metrics: registry, routes: [createDashboardRoute(), observabilityRoute] },
  );
  const { url } = await api.listen(config.server.PORT, config.server.SERVER_HOST);
  const origin = new URL(url).origin;
  logger.info({ url, dashboard: `${origin}/dashboard` }, `GraphQL API listening on ${url}`);
  return {
    name: 'api',
    url,
    async stop() {
      stopPolling();
      await api.close();
      await producer.close();
    },
  };
}) satisfies ApiStarter;
