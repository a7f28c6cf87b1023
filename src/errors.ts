/**
 * A backing service (Kafka, Redis, ClickHouse, the embedded stores' disk) could not be reached
 * or refused for a passing reason. The fold retries these with bounded backoff and the API
 * answers `UNAVAILABLE`; anything else thrown is a bug and surfaces.
 */
export class DependencyUnavailableError extends Error {
  override name = 'DependencyUnavailableError';
  constructor(
    readonly dependency: string,
    cause?: unknown,
  ) {
    super(
      `${dependency} is unavailable${cause instanceof Error ? `: ${cause.message}` : ''}`,
      cause === undefined ? undefined : { cause },
    );
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const TRANSIENT_MESSAGES = [
  'Connection is closed',
  // ioredis AbortError: the connection closed while a pipeline waited for its replies.
  'Command aborted due to connection close',
  "Stream isn't writeable",
  'Reached the max retries per request limit',
  // ioredis commandTimeout: unanswered, possibly applied (every fold write is safe to repeat).
  'Command timed out',
  'socket hang up',
  'Timeout error',
  'LOADING',
];

/** True for failures that are about reaching a dependency, not about what we asked of it. */
export function isDependencyUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof DependencyUnavailableError) return true;
    if (typeof current !== 'object') return false;
    const candidate = current as {
      code?: unknown;
      retriable?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    if (typeof candidate.code === 'string' && NETWORK_CODES.has(candidate.code)) return true;
    // kafkajs marks connection and leadership problems as retriable.
    if (candidate.retriable === true) return true;
    if (
      typeof candidate.message === 'string' &&
      TRANSIENT_MESSAGES.some((m) => (candidate.message as string).includes(m))
    )
      return true;
    current = candidate.cause;
  }
  return false;
}
