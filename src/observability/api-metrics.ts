import type { Server } from 'node:http';
import { getOperationAST, type DocumentNode, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type LogFn = (object: unknown, message?: string) => void;

/** What the operation log line needs from the caller's context. */
interface TenantContext {
  tenant: string;
}

export interface ApiMetrics {
  /**
   * Counts and times every operation by name and type, tracks the subscription streams in
   * progress, and logs one line per operation (debug) with the tenant and the operation.
   */
  plugin: Plugin<TenantContext>;
  /** Tracks the open HTTP and WebSocket connections of a server. */
  watch(server: Server): void;
}

/** Operation names are the client's choice: past this many distinct ones they count as `(other)`. */
const MAX_OPERATION_NAMES = 100;

export function createApiMetrics(deps: { registry: Registry; log: LogFn }): ApiMetrics {
  const registers = [deps.registry];
  const operations = new Counter({
    name: 'pulsegraph_graphql_operations_total',
    help: 'GraphQL operations executed (subscriptions: started), by operation name, type and outcome (ok, error).',
    labelNames: ['operation', 'type', 'outcome'],
    registers,
  });
  const durations = new Histogram({
    name: 'pulsegraph_graphql_operation_duration_seconds',
    help: 'Execution time of GraphQL queries and mutations, by operation name and type.',
    labelNames: ['operation', 'type'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const subscriptions = new Gauge({
    name: 'pulsegraph_graphql_subscriptions_active',
    help: 'Subscription streams in progress, by operation name (graphql-ws subscribers of the same shared `live` operation share one stream).',
    labelNames: ['operation'],
    registers,
  });
  const httpConnections = new Gauge({
    name: 'pulsegraph_http_connections_open',
    help: 'Open TCP connections of the API server (SSE streams and WebSockets included).',
    registers,
  });
  const wsConnections = new Gauge({
    name: 'pulsegraph_websocket_connections_open',
    help: 'Open WebSocket connections (graphql-ws).',
    registers,
  });

  const names = new Set<string>();
  const operationOf = (document: DocumentNode, operationName?: string | null) => {
    const operation = getOperationAST(document, operationName);
    const given = operation?.name?.value;
    let name = given ?? '(anonymous)';
    if (given && !names.has(given)) {
      if (names.size < MAX_OPERATION_NAMES) names.add(given);
      else name = '(other)';
    }
    return { name, type: operation?.operation ?? 'unknown' };
  };

  /** Counts a finished (or started) operation; returns its error codes, if any. */
  const finish = (
    op: { name: string; type: string },
    result: ExecutionResult | undefined,
    error?: unknown,
  ) => {
    const codes = errorCodes(result, error);
    operations.inc({ operation: op.name, type: op.type, outcome: codes ? 'error' : 'ok' });
    return codes;
  };

  return {
    plugin: {
      onExecute({ args }) {
        const op = operationOf(args.document, args.operationName);
        const tenant = args.contextValue.tenant;
        const started = performance.now();
        return {
          onExecuteDone({ result }) {
            if (isAsyncIterable(result)) return;
            const seconds = (performance.now() - started) / 1000;
            durations.observe({ operation: op.name, type: op.type }, seconds);
            const errors = finish(op, result);
            deps.log(
              { tenant, operation: op.name, type: op.type, ms: round(seconds * 1000), errors },
              'graphql operation',
            );
          },
        };
      },
      onSubscribe({ args }) {
        const op = operationOf(args.document, args.operationName);
        const tenant = args.contextValue.tenant;
        return {
          onSubscribeResult({ result }) {
            if (!isAsyncIterable(result)) {
              const errors = finish(op, result);
              deps.log(
                { tenant, operation: op.name, type: op.type, errors },
                'graphql subscription refused',
              );
              return;
            }
            finish(op, undefined);
            subscriptions.inc({ operation: op.name });
            const started = performance.now();
            deps.log({ tenant, operation: op.name, type: op.type }, 'graphql subscription started');
            return {
              onEnd() {
                subscriptions.dec({ operation: op.name });
                deps.log(
                  {
                    tenant,
                    operation: op.name,
                    type: op.type,
                    ms: round(performance.now() - started),
                  },
                  'graphql subscription ended',
                );
              },
            };
          },
          onSubscribeError({ error }) {
            const errors = finish(op, undefined, error);
            deps.log(
              { tenant, operation: op.name, type: op.type, errors },
              'graphql subscription failed',
            );
          },
        };
      },
    },
    watch(server) {
      server.on('connection', (socket) => {
        httpConnections.inc();
        socket.once('close', () => httpConnections.dec());
      });
      server.on('upgrade', (_request, socket) => {
        wsConnections.inc();
        socket.once('close', () => wsConnections.dec());
      });
    },
  };
}

/** The `extensions.code` of each error, or undefined when the operation succeeded. */
function errorCodes(result: ExecutionResult | undefined, error?: unknown): string[] | undefined {
  if (error !== undefined) return ['INTERNAL'];
  if (!result?.errors?.length) return undefined;
  return result.errors.map((e) => String(e.extensions?.code ?? 'INTERNAL'));
}

const round = (ms: number) => Math.round(ms * 10) / 10;
