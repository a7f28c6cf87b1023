import { createApi } from '../api/server.js';
import { eventLimitsFrom } from '../events/validate.js';
import { createIngestor } from '../ingest/ingestor.js';
import type { ApiStarter } from './run.js';
import { createFreshness } from './freshness.js';

/** Starts the GraphQL API (HTTP, SSE and WebSocket on one port) over the engines. */
export const startApi: ApiStarter = async ({ config, logger, engines }) => {
  const producer = engines.log.producer();
  const api = await createApi(
    {
      config,
      live: engines.live,
      history: engines.history,
      changes: engines.changes,
      reference: engines.reference,
      ingestor: createIngestor({
        producer,
        topic: config.kafka.INGEST_TOPICS[0]!,
        limits: eventLimitsFrom(config.fold),
        maxBatch: config.limits.MAX_INGEST_BATCH,
        maxMessageBytes: config.fold.MAX_MESSAGE_BYTES,
      }),
      freshness: createFreshness({
        log: engines.log,
        progress: engines.progress,
        topics: config.kafka.INGEST_TOPICS,
      }),
    },
    { logger },
  );
  const { url } = await api.listen(config.server.PORT, config.server.SERVER_HOST);
  logger.info({ url }, `GraphQL API listening on ${url}`);
  return {
    name: 'api',
    async stop() {
      await api.close();
      await producer.close();
    },
  };
};
