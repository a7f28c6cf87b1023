import { createApi } from '../api/server.js';
import { eventLimitsFrom } from '../events/validate.js';
import { createIngestor } from '../ingest/ingestor.js';
import type { ApiStarter, Part } from './run.js';
import { createFreshness } from './freshness.js';

/** The running API; `url` names the port it took (PORT=0 picks a free one). */
export interface ApiPart extends Part {
  url: string;
}

/** Starts the GraphQL API (HTTP, SSE and WebSocket on one port) over the engines. */
export const startApi = (async ({ config, logger, engines }): Promise<ApiPart> => {
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
    url,
    async stop() {
      await api.close();
      await producer.close();
    },
  };
}) satisfies ApiStarter;
