import { ConfigError, loadConfig, type Config } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
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
  return new Set(config.server.API_KEYS.map((entry) => entry.split(':')[1] ?? ''));
}

export type ApiStarter = (context: {
  config: Config;
  logger: Logger;
  engines: Awaited<ReturnType<typeof createEngines>>;
}) => Promise<Part>;

/**
 * Boots one process: the API, the fold consumers, or both (the default of `npm start`), on the
 * real engines when they are configured and on the embedded ones otherwise. SIGTERM or SIGINT
 * stops the parts in reverse order within SHUTDOWN_TIMEOUT_MS and exits 0.
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
  if (role !== 'api') {
    const fold = await startFold(engines, config, logger, configuredTenants(config));
    parts.push({ name: 'fold', stop: () => fold.stop() });
  }
  if (role !== 'fold') {
    if (!options.startApi) throw new Error(`role ${role} needs the API`);
    parts.push(await options.startApi({ config, logger, engines }));
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
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
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
