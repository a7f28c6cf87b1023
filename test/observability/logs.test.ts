// Structured logs: with everything logged (LOG_LEVEL=trace), a real API key and a wrong one sent
// over HTTP, graphql-ws and SSE never appear in a log line, while the lines still say which
// tenant ran which operation.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IngestDocument,
  LiveDocument,
  WatchLiveDocument,
  type WatchLiveSubscription,
} from '../generated/graphql.js';
import { startTestStack, type TestStack } from '../support/app.js';
import { apiClient, collect, issueApiKeys, operation } from '../support/clients.js';
import { waitFor } from '../support/services.js';

describe('log lines', () => {
  let stack: TestStack;
  let key: string;
  const wrongKey = `key-wrong-${randomBytes(8).toString('hex')}`;
  const tenant = `logs-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    const issued = issueApiKeys([tenant]);
    key = issued.keys[tenant]!;
    stack = await startTestStack('embedded', { API_KEYS: issued.API_KEYS, LOG_LEVEL: 'trace' });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('never hold an API key, given over HTTP, graphql-ws or SSE, right or wrong', async () => {
    const metric = { event: 'signup', aggregate: 'COUNT' as const };
    const client = apiClient(stack.url, key);
    const ingested = await client.request(IngestDocument, { events: [{ name: 'signup' }] });
    expect(ingested.body.data?.ingest.accepted).toBe(1);
    const refused = await apiClient(stack.url, wrongKey).request(LiveDocument, { metric });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    // Subscriptions with the key over both transports, and a WebSocket with the wrong key.
    const ws = client.ws();
    const sse = client.sse();
    const wrongWs = apiClient(stack.url, wrongKey).ws();
    const overWs = collect<WatchLiveSubscription>((sink) =>
      ws.subscribe(operation(WatchLiveDocument, { metric }), sink),
    );
    const overSse = collect<WatchLiveSubscription>((sink) =>
      sse.subscribe(operation(WatchLiveDocument, { metric }), sink),
    );
    const refusedWs = collect<WatchLiveSubscription>((sink) =>
      wrongWs.subscribe(operation(WatchLiveDocument, { metric }), sink),
    );
    try {
      await waitFor(
        () =>
          overWs.results.some((r) => r.data?.live[0]?.value === 1) &&
          overSse.results.some((r) => r.data?.live[0]?.value === 1) &&
          refusedWs.error !== undefined,
        { message: 'both subscriptions to see the event and the wrong key to be refused' },
      );
      expect((refusedWs.error as { code?: number }).code).toBe(4401);
    } finally {
      overWs.dispose();
      overSse.dispose();
      refusedWs.dispose();
      await Promise.all([ws.dispose(), sse.dispose(), wrongWs.dispose()]);
    }

    // The lines say who did what: the tenant and the operation, for each transport's operations.
    const lines = () => stack.logged.map((line) => JSON.parse(line) as Record<string, unknown>);
    await waitFor(
      () => lines().some((l) => l.msg === 'graphql subscription ended' && l.tenant === tenant),
      { message: 'the end of a subscription to be logged' },
    );
    const operations = lines().filter((l) => l.tenant === tenant);
    expect(operations).toContainEqual(
      expect.objectContaining({ msg: 'graphql operation', operation: 'Ingest', type: 'mutation' }),
    );
    expect(operations).toContainEqual(
      expect.objectContaining({ msg: 'graphql subscription started', operation: 'WatchLive' }),
    );

    const everything = stack.logged.join('');
    expect(stack.logged.length).toBeGreaterThan(5);
    expect(everything).not.toContain(key);
    expect(everything).not.toContain(wrongKey);
    // Nor a part of one long enough to matter (a truncated or differently quoted key).
    expect(everything).not.toContain(key.slice(-16));
    expect(everything).not.toContain(wrongKey.slice(-16));
  });
});
