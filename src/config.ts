import { z } from 'zod';
import { MappingError } from './mappings/compile.js';
import { readMappingsFile, reservedTopicProblem } from './mappings/file.js';

/**
 * Every setting of the service, parsed once at boot from the environment. Nothing else reads
 * process.env (a lint rule enforces it). A bad setting stops the process with a message that names it.
 */

const integer = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
const list = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((s) =>
      s
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part.length > 0),
    );

/** What a key may do beyond reading: `read` keys only read, `admin` keys also manage mappings. */
export type ApiKeyRole = 'read' | 'write' | 'admin';

/** One configured API key: the SHA-256 (hex) of the key, its tenant, and what it may do. */
export interface ApiKeyEntry {
  hash: string;
  tenant: string;
  role: ApiKeyRole;
}

const API_KEY_ENTRY = /^([0-9a-f]{64}):([A-Za-z0-9_.-]{1,64})(?::(read|admin))?$/;

const serverSchema = z.object({
  SERVER_HOST: z.string().default('0.0.0.0'),
  PORT: integer(4000, 0),
  /**
   * Where a process without the API (ROLE=fold) serves /metrics, /health and /ready (0: a free
   * port); unset, it serves none. The API serves them on PORT. No default: consumers sharing a
   * host would take the same port.
   */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** `sha256hex:tenant[:read]` entries, comma separated. Plain keys are never configured. */
  API_KEYS: list('').transform((entries, context) =>
    entries.flatMap((entry, index): ApiKeyEntry[] => {
      const match = API_KEY_ENTRY.exec(entry);
      if (match)
        return [{ hash: match[1]!, tenant: match[2]!, role: (match[3] as ApiKeyRole) ?? 'write' }];
      context.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['API_KEYS'],
        message: `entry ${index + 1} must be <sha256 hex, lowercase>:<tenant>[:read|:admin]`,
      });
      return [];
    }),
  ),
  DATA_DIR: z.string().default('.data'),
  SHUTDOWN_TIMEOUT_MS: integer(10_000, 100),
  ROLE: z.enum(['all', 'api', 'fold']).default('all'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `pretty`: one readable line per entry for a terminal; `json` (the default) for collectors. */
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
});

const kafkaSchema = z.object({
  KAFKA_BROKERS: list(''),
  KAFKA_CLIENT_ID: z.string().default('pulsegraph'),
  INGEST_TOPICS: list('events'),
  DEAD_LETTER_TOPIC: z.string().default('events.dead-letter'),
  CONSUMER_GROUP: z.string().default('pulsegraph-fold'),
  TOPIC_PARTITIONS: integer(4, 1),
  /** A consumer that stops heartbeating loses its partitions after this long. */
  KAFKA_SESSION_TIMEOUT_MS: integer(10_000, 6_000),
  /** Partition batches folded at once by one consumer: their history rows share one insert. */
  KAFKA_PARTITIONS_CONCURRENCY: integer(8, 1),
});

const redisSchema = z.object({
  REDIS_URL: z.string().url().optional(),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,32}$/, 'letters, digits, _ . - only, at most 32')
    .default('pg'),
  /**
   * A command unanswered this long fails (and the fold retries it): a command in flight when the
   * connection drops is otherwise held until Redis is back.
   */
  REDIS_COMMAND_TIMEOUT_MS: integer(10_000, 100),
});

const clickhouseSchema = z.object({
  CLICKHOUSE_URL: z.string().url().optional(),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a plain identifier')
    .default('analytics'),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
});

const foldSchema = z.object({
  /** How far back live windows reach (event time). */
  LIVE_HORIZON_SECONDS: integer(3600 + 300, 60),
  /** Events stamped further than this in the future are rejected. */
  MAX_FUTURE_SKEW_SECONDS: integer(300, 0),
  DEDUP_TTL_SECONDS: integer(3600, 1),
  MAX_EVENT_BYTES: integer(16 * 1024, 256),
  MAX_MESSAGE_BYTES: integer(1024 * 1024, 1024),
  MAX_NAME_LENGTH: integer(128, 1),
  MAX_DIMENSIONS: integer(32, 0),
  MAX_DIMENSION_KEY_LENGTH: integer(64, 1),
  MAX_DIMENSION_VALUE_LENGTH: integer(256, 1),
  HISTORY_FLUSH_MS: integer(250, 1),
  HISTORY_FLUSH_ROWS: integer(100_000, 1),
  /** A JSON file of topic mappings (`{ "mappings": [...] }`), read and checked at start. */
  TOPIC_MAPPINGS_FILE: z
    .string()
    .optional()
    .transform((file, context) => {
      if (file === undefined) return { file, mappings: [] };
      try {
        return { file, mappings: readMappingsFile(file) };
      } catch (error) {
        if (!(error instanceof MappingError)) throw error;
        context.addIssue({ code: z.ZodIssueCode.custom, message: error.message });
        return z.NEVER;
      }
    }),
  /** How often a fold process looks for mappings changed through the admin API while idle. */
  MAPPINGS_POLL_MS: integer(2000, 100),
});

const limitsSchema = z.object({
  MAX_INGEST_BATCH: integer(1000, 1),
  MAX_BODY_BYTES: integer(2 * 1024 * 1024, 1024),
  MAX_QUERY_DEPTH: integer(8, 2),
  MAX_QUERY_COST: integer(1000, 10),
  MAX_GROUPS: integer(50, 1),
  MAX_BUCKETS: integer(10_000, 10),
  MAX_SUBSCRIPTIONS_PER_CONNECTION: integer(50, 1),
  RATE_LIMIT_PER_SECOND: integer(200, 1),
  RATE_LIMIT_BURST: integer(400, 1),
  /** Topic mappings one tenant may keep through the admin API. */
  MAX_TOPIC_MAPPINGS: integer(100, 1),
});

const schemas = {
  server: serverSchema,
  kafka: kafkaSchema,
  redis: redisSchema,
  clickhouse: clickhouseSchema,
  fold: foldSchema,
  limits: limitsSchema,
};

export type Config = { [K in keyof typeof schemas]: z.infer<(typeof schemas)[K]> };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const problems: string[] = [];
  const parsed: Partial<Record<keyof Config, unknown>> = {};
  for (const [concern, schema] of Object.entries(schemas) as [keyof Config, z.ZodTypeAny][]) {
    const result = schema.safeParse(env);
    if (result.success) parsed[concern] = result.data;
    else
      for (const issue of result.error.issues)
        problems.push(
          `${issue.path.join('.')}: ${issue.message} (got ${JSON.stringify(env[String(issue.path[0])])})`,
        );
  }
  if (problems.length > 0) throw new ConfigError(`Invalid settings:\n  ${problems.join('\n  ')}`);
  const config = parsed as Config;
  const engines = [
    config.kafka.KAFKA_BROKERS.length > 0,
    !!config.redis.REDIS_URL,
    !!config.clickhouse.CLICKHOUSE_URL,
  ];
  if (engines.some(Boolean) && !engines.every(Boolean))
    throw new ConfigError(
      'Invalid settings:\n  KAFKA_BROKERS, REDIS_URL and CLICKHOUSE_URL go together: set all three for the real engines, or none for the embedded ones',
    );
  for (const { topic, name } of config.fold.TOPIC_MAPPINGS_FILE.mappings) {
    const problem = reservedTopicProblem(topic, config.kafka);
    if (problem)
      throw new ConfigError(
        `Invalid settings:\n  TOPIC_MAPPINGS_FILE: mapping ${name}: ${problem}`,
      );
  }
  if (config.server.NODE_ENV === 'production' && config.server.API_KEYS.length === 0)
    throw new ConfigError(
      'Invalid settings:\n  API_KEYS: production mode refuses to start without API keys',
    );
  return config;
}

/** True when the real engines are configured; false runs everything embedded. */
export const usesRealEngines = (config: Config): boolean => config.kafka.KAFKA_BROKERS.length > 0;
