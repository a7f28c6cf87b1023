import { ConfigError, loadConfig, type Config } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { engineChecks, foldCheck, type ReadinessCheck } from '../observability/health.js';
import {
  createObservabilityRoute,
  startRouteServer,
  type Observability,
} from '../observability/http.js';
import { createMetricsRegistry } from '../observability/registry.js';
import { createEngines } from './engines.js';
import { startFold } from './fold-runner.js';

export type Role = Config['server']['ROLE'];

/** Something the process runs that must be stopped, in reverse order, on shutdown. */
export interface Part {
  name: string;
  stop(): Promise<void>;
}

/** Tenants that API keys name; null when no keys are configured (development: `default` only). */
export function configuredTenants(config: Config): ReadonlySet<string> | null {
  if (config.server.API_KEYS.length === 0) return null;
  return new Set(config.server.API_KEYS.map((entry) => entry.tenant));
}

export type ApiStarter = (context: {
  config: Config;
  logger: Logger;
  engines: Awaited<ReturnType<typeof createEngines>>;
  /** The process's metrics and readiness, served by the API next to GraphQL. */
  observability?: Observability;
}) => Promise<Part>;

/**
 * Boots one process: the API, the fold consumers, or both (the default of `npm start`), on the
 * real engines when they are configured and on the embedded ones otherwise. /metrics, /health
 * and /ready are served by the API, or without it on METRICS_PORT. SIGTERM or SIGINT stops the
 * parts in reverse order within SHUTDOWN_TIMEOUT_MS and exits 0; a crashed fold consumer stops
 * them the same way and exits 1.
 */
export async function runProcess(
  options: { role?: Role; startApi?: ApiStarter } = {},
): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const logger = createLogger(config);
  const role = options.role ?? config.server.ROLE;
  const engines = await createEngines(config, logger);
  logger.info({ engines: engines.kind, role }, 'engines ready');
  const parts: Part[] = [{ name: 'engines', stop: () => engines.close() }];
  let stopping = false;
  const registry = createMetricsRegistry();
  const checks: ReadinessCheck[] = engineChecks(engines, config.kafka.INGEST_TOPICS);
  if (role !== 'api') {
    const fold = await startFold(engines, config, logger, configuredTenants(config), {
      metrics: registry,
      // A consumer that stopped for good leaves nothing for this process to do: exit non-zero
      // so a supervisor restarts it, instead of idling while the group's partitions go unread.
      onCrash: (error) => {
        logger.fatal({ err: error }, 'fold consumer crashed');
        void shutdown('crash', 1);
      },
    });
    parts.push({ name: 'fold', stop: () => fold.stop() });
    checks.push(foldCheck(fold.assigned));
  }
  const observability: Observability = {
    registry,
    route: createObservabilityRoute({ registry, checks }),
  };
  if (role !== 'fold') {
    if (!options.startApi) throw new Error(`role ${role} needs the API`);
    parts.push(await options.startApi({ config, logger, engines, observability }));
  } else if (config.server.METRICS_PORT === undefined) {
    logger.info('METRICS_PORT is not set: /metrics, /health and /ready are not served');
  } else {
    const served = await startRouteServer(
      observability.route,
      config.server.METRICS_PORT,
      config.server.SERVER_HOST,
    );
    logger.info({ url: served.url }, `metrics, health and readiness on ${served.url}`);
    parts.push({ name: 'metrics', stop: () => served.close() });
  }

  async function shutdown(reason: string, exitCode = 0) {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error(
        { timeoutMs: config.server.SHUTDOWN_TIMEOUT_MS },
        'shutdown deadline passed, exiting',
      );
      process.exit(1);
    }, config.server.SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    for (const part of [...parts].reverse()) {
      try {
        await part.stop();
      } catch (error) {
        logger.error({ part: part.name, err: error }, 'stop failed');
      }
    }
    logger.info('stopped');
    process.exit(exitCode);
  }

  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
