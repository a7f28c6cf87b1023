// Builds the service's engines and fold in-process against the run's real services, with the
// settings a test needs on top of the run's (its own topic, group and key prefix).
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createEngines, type Engines } from '../../src/app/engines.js';
import { configuredTenants } from '../../src/app/run.js';
import { startFold, type FoldRunner } from '../../src/app/fold-runner.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { freshName, freshTopic, testEnv } from './services.js';

export interface TestApp {
  config: Config;
  engines: Engines;
  fold: FoldRunner;
  topic: string;
  stop(): Promise<void>;
}

/** A logger that keeps its lines for assertions instead of printing them. */
export function memoryLogger(config: Config) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger(config, sink), lines };
}

export async function startTestApp(settings: Record<string, string> = {}): Promise<TestApp> {
  const services = testEnv();
  const topic = await freshTopic('fold', 4);
  const config = loadConfig({
    ...services,
    REDIS_PREFIX: `${services.REDIS_PREFIX}.${randomUUID().slice(0, 6)}`,
    INGEST_TOPICS: topic,
    DEAD_LETTER_TOPIC: `${topic}.dlq`,
    CONSUMER_GROUP: freshName('group'),
    NODE_ENV: 'test',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    ...settings,
  });
  const { logger } = memoryLogger(config);
  const engines = await createEngines(config, logger);
  const fold = await startFold(engines, config, logger, configuredTenants(config));
  return {
    config,
    engines,
    fold,
    topic,
    async stop() {
      await fold.stop();
      await engines.close();
    },
  };
}
