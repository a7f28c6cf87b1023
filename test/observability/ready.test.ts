// /ready on the real engines says which dependency does not answer: a Redis of the test's own is
// stopped (the shared one is never touched) and /ready names it, then recovers once it is back.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngines, type Engines } from '../../src/app/engines.js';
import { loadConfig } from '../../src/config.js';
import { checkReadiness, engineChecks, foldCheck } from '../../src/observability/health.js';
import { createObservabilityRoute, startRouteServer } from '../../src/observability/http.js';
import { createMetricsRegistry } from '../../src/observability/registry.js';
import { memoryLogger } from '../support/app.js';
import { freshName, testEnv, waitFor } from '../support/services.js';

const cleanUps: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanUp of cleanUps.reverse()) await cleanUp().catch(() => undefined);
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A redis-server without persistence on `port`, answering PING when this resolves. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const probe = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
  });
  probe.on('error', () => {}); // refused until the server listens: connect() rejects, polled
  try {
    await waitFor(
      async () => {
        if (probe.status !== 'ready') await probe.connect();
        return (await probe.ping()) === 'PONG';
      },
      { message: `redis-server on port ${port}` },
    );
  } finally {
    probe.disconnect();
  }
  return child;
}

const stopProcess = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

describe('/ready', () => {
  it('names Redis while it is down, and is ready again once it is back', async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    cleanUps.push(() => stopProcess(redis));
    const services = testEnv();
    const topic = freshName('ready');
    const config = loadConfig({
      ...services,
      REDIS_URL: `redis://127.0.0.1:${port}`,
      INGEST_TOPICS: topic,
      NODE_ENV: 'test',
    });
    const engines: Engines = await createEngines(config, memoryLogger(config).logger);
    cleanUps.push(() => engines.close());
    const served = await startRouteServer(
      createObservabilityRoute({
        registry: createMetricsRegistry(),
        checks: engineChecks(engines, [topic]),
        checkTimeoutMs: 1000,
      }),
      0,
      '127.0.0.1',
    );
    cleanUps.push(() => served.close());
    const ready = async () => {
      const response = await fetch(`${served.url}/ready`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    expect(await ready()).toMatchObject({
      status: 200,
      body: {
        status: 'ready',
        failing: [],
        checks: { kafka: { ok: true }, redis: { ok: true }, clickhouse: { ok: true } },
      },
    });

    await stopProcess(redis);
    const down = await ready();
    expect(down).toMatchObject({
      status: 503,
      body: {
        status: 'not ready',
        failing: ['redis'],
        checks: {
          kafka: { ok: true },
          redis: { ok: false, error: expect.any(String) },
          clickhouse: { ok: true },
        },
      },
    });
    // Bounded by the check's deadline, however long the client would keep retrying.
    expect((down.body.checks as { redis: { ms: number } }).redis.ms).toBeLessThan(1500);

    redis = await startRedis(port);
    await waitFor(async () => (await ready()).status === 200, {
      timeout: 15_000,
      message: 'ready again once Redis is back',
    });
    // /health never depended on Redis.
    expect((await fetch(`${served.url}/health`)).status).toBe(200);
  });

  it('is not ready while the fold consumer holds no partition', async () => {
    const partitions = [{ topic: 'events', partition: 0 }];
    let held: typeof partitions = [];
    const check = foldCheck(() => held);
    expect(await checkReadiness([check], 100)).toMatchObject({
      ready: false,
      checks: { fold: { ok: false, error: 'the consumer has no partitions assigned' } },
    });
    held = partitions;
    expect(await checkReadiness([check], 100)).toMatchObject({
      ready: true,
      checks: { fold: { ok: true, detail: { partitions: 1 } } },
    });
  });
});
