// Builds the service's engines and fold in-process, with the settings a test needs on top of the
// run's: on the real engines its own topic, group and key prefix (in the run's ClickHouse
// database); on the embedded ones a temporary DATA_DIR of its own. startTestStack adds the real
// GraphQL API on an ephemeral loopback port, as `npm start` composes it.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startApi } from '../../src/app/api-runner.js';
import { createEngines, type Engines } from '../../src/app/engines.js';
import { configuredTenants } from '../../src/app/run.js';
import { startFold, type FoldRunner } from '../../src/app/fold-runner.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { freshName, freshTopic, testEnv } from './services.js';

export type EngineSet = Engines['kind'];

export interface TestApp {
  config: Config;
  engines: Engines;
  fold: FoldRunner;
  topic: string;
  logger: Logger;
  /** Every line the service logged so far (JSON), for assertions and failure messages. */
  logged: string[];
  stop(): Promise<void>;
}

export interface TestStack extends TestApp {
  /** http://127.0.0.1:<port>/graphql */
  url: string;
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

/** The settings of an engine set for one test app, and what to remove when it stops. */
async function engineSettings(
  set: EngineSet,
): Promise<{ settings: Record<string, string>; topic: string; cleanUp(): Promise<void> }> {
  if (set === 'embedded') {
    const dir = await mkdtemp(join(tmpdir(), 'pulsegraph-app-'));
    return {
      settings: { DATA_DIR: dir },
      topic: 'events',
      cleanUp: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const services = testEnv();
  const topic = await freshTopic('fold', 4);
  return {
    settings: {
      ...services,
      REDIS_PREFIX: `${services.REDIS_PREFIX}.${randomUUID().slice(0, 6)}`,
      INGEST_TOPICS: topic,
      DEAD_LETTER_TOPIC: `${topic}.dlq`,
      CONSUMER_GROUP: freshName('group'),
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    },
    topic,
    cleanUp: async () => {},
  };
}

export async function startTestApp(
  settings: Record<string, string> = {},
  engineSet: EngineSet = 'real',
): Promise<TestApp> {
  const set = await engineSettings(engineSet);
  const config = loadConfig({ ...set.settings, NODE_ENV: 'test', ...settings });
  const { logger, lines } = memoryLogger(config);
  const engines = await createEngines(config, logger);
  const fold = await startFold(engines, config, logger, configuredTenants(config));
  return {
    config,
    engines,
    fold,
    topic: set.topic,
    logger,
    logged: lines,
    async stop() {
      await fold.stop();
      await engines.close();
      await set.cleanUp();
    },
  };
}

/** Engines, fold and the GraphQL API (HTTP, graphql-ws and SSE on one loopback port). */
export async function startTestStack(
  engineSet: EngineSet,
  settings: Record<string, string> = {},
): Promise<TestStack> {
  const app = await startTestApp({ PORT: '0', SERVER_HOST: '127.0.0.1', ...settings }, engineSet);
  const api = await startApi({ config: app.config, logger: app.logger, engines: app.engines });
  return {
    ...app,
    url: api.url,
    async stop() {
      await api.stop();
      await app.stop();
    },
  };
}
