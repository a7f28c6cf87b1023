import { Redis } from 'ioredis';

export interface RedisCommandConnectionOptions {
  url: string;
  /** A command unanswered this long fails with "Command timed out". */
  commandTimeoutMs: number;
}

/**
 * The connection for commands (not pub/sub). While Redis is away, commands wait for a reconnect
 * and fail after two failed attempts; the fold retries what fails.
 * A command already sent when the connection dropped is not among those: ioredis keeps it aside
 * to send again once Redis is back, and fails it on no reconnect attempt. It could hold a fold
 * batch, and every batch after it, for the whole outage. So every command gets a timeout, and
 * ioredis does not send the unanswered ones again (their callers have moved on).
 */
export function createRedisCommandConnection(options: RedisCommandConnectionOptions): Redis {
  return new Redis(options.url, {
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    commandTimeout: options.commandTimeoutMs,
    autoResendUnfulfilledCommands: false,
  });
}
