// Clients of the public GraphQL API as a user runs them: typed operations over HTTP (fetch), a
// graphql-ws client over a real WebSocket, a graphql-sse client, and API keys for tenants.
import { randomBytes } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { createClient as createSseClient, type Client as SseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { hashApiKey } from '../../src/api/auth.js';

export type Result<R> = ExecutionResult<R, Record<string, unknown>>;

/** A random key per tenant, and the API_KEYS setting that maps their hashes to the tenants. */
export function issueApiKeys(tenants: string[]): {
  keys: Record<string, string>;
  API_KEYS: string;
} {
  const keys = Object.fromEntries(
    tenants.map((tenant) => [tenant, `key-${tenant}-${randomBytes(8).toString('hex')}`]),
  );
  const API_KEYS = tenants.map((tenant) => `${hashApiKey(keys[tenant]!)}:${tenant}`).join(',');
  return { keys, API_KEYS };
}

export interface ApiClient {
  /** POSTs a typed operation with the client's key. */
  request<R, V>(
    document: TypedDocumentNode<R, V>,
    variables: V,
  ): Promise<{ status: number; body: Result<R> }>;
  /** A lazy graphql-ws client authenticated in connection_init; dispose it when done. */
  ws(): WsClient;
  /** A graphql-sse client sending the Authorization header; dispose it when done. */
  sse(): SseClient;
}

/** Clients of the API at `url` (http://…/graphql) with `key`; null sends no credentials. */
export function apiClient(url: string, key: string | null): ApiClient {
  const authorization: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  return {
    async request(document, variables) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...authorization },
        body: JSON.stringify({ query: print(document), variables }),
      });
      return { status: response.status, body: (await response.json()) as Result<never> };
    },
    ws: () =>
      createWsClient({
        url: url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: authorization,
        retryAttempts: 0,
        lazy: true,
      }),
    sse: () => createSseClient({ url, headers: authorization, retryAttempts: 0 }),
  };
}

/** Collects what a subscription sends, for assertions with waitFor. */
export interface Collected<T> {
  results: Result<T>[];
  error: unknown;
  completed: boolean;
  dispose(): void;
}

export function collect<T>(
  subscribe: (sink: {
    next: (value: Result<T>) => void;
    error: (error: unknown) => void;
    complete: () => void;
  }) => () => void,
): Collected<T> {
  const collected: Collected<T> = {
    results: [],
    error: undefined,
    completed: false,
    dispose: () => {},
  };
  collected.dispose = subscribe({
    next: (value) => collected.results.push(value),
    error: (error) => {
      collected.error = error;
    },
    complete: () => {
      collected.completed = true;
    },
  });
  return collected;
}

/** The operation of a typed document, as the subscription clients take it. */
export const operation = <R, V>(document: TypedDocumentNode<R, V>, variables: V) => ({
  query: print(document),
  variables: variables as Record<string, unknown>,
});
