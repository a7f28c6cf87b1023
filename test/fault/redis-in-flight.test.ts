// A command already sent when its connection drops: on a reconnect ioredis sets it aside, apart
// from the queue it fails after failed reconnects, and sends it again (or, told not to, drops it)
// only once Redis answers. A fold batch awaiting it then held every later batch, without a word,
// for as long as Redis stayed away (a flaky redis-down test: Redis accepted the reconnect while
// shutting down). On the command connection such a command fails within the command timeout.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisCommandConnection } from '../../src/adapters/redis/connection.js';
import { isDependencyUnavailable } from '../../src/errors.js';
import { startPrivateRedis, type PrivateService } from '../support/private-services.js';

const COMMAND_TIMEOUT_MS = 1500;

let redis: PrivateService | undefined;
const clients: Redis[] = [];

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await redis?.remove();
});

describe('a Redis command in flight when its connection drops', () => {
  it('fails within the command timeout as unavailable, and the connection goes on', async () => {
    // Private: CLIENT PAUSE and CLIENT KILL would reach the other test files' clients.
    redis = await startPrivateRedis();
    const connection = createRedisCommandConnection({
      url: redis.url,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    });
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 0 });
    clients.push(connection, admin);
    connection.on('error', () => undefined);
    await connection.set('in-flight', 'before');
    const id = await connection.client('ID');

    // Redis holds writes unanswered while paused: the SET is sent, then its connection is cut.
    await admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
    const sentAt = Date.now();
    const inFlight = connection.set('in-flight', 'during').then(
      (reply) => ({ reply, error: undefined }),
      (error: unknown) => ({ reply: undefined, error }),
    );
    await admin.call('CLIENT', 'KILL', 'ID', String(id));

    const outcome = await inFlight;
    const waitedMs = Date.now() - sentAt;
    expect(outcome.reply).toBeUndefined();
    expect(String(outcome.error)).toContain('Command timed out');
    expect(isDependencyUnavailable(outcome.error)).toBe(true);
    expect(waitedMs).toBeLessThan(COMMAND_TIMEOUT_MS + 1000);

    await admin.call('CLIENT', 'UNPAUSE');
    await connection.set('in-flight', 'after');
    // Not sent again behind the caller's back once Redis answers.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await admin.get('in-flight')).toBe('after');
  }, 60_000);
});
