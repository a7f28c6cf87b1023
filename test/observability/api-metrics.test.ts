// GraphQL operation metrics keep a bounded set of label values: operation names are the client's
// choice, so past a hundred distinct ones they count under `(other)`.
import { parse, type ExecutionResult } from 'graphql';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createApiMetrics } from '../../src/observability/api-metrics.js';
import { parsePrometheus } from './prometheus.js';

type ExecuteHook = (payload: unknown) => {
  onExecuteDone: (payload: { result: ExecutionResult }) => void;
};

describe('GraphQL operation metrics', () => {
  it('count a hundred operation names at most, the rest as (other), by outcome', async () => {
    const registry = new Registry();
    const logged: unknown[] = [];
    const { plugin } = createApiMetrics({ registry, log: (line) => logged.push(line) });
    const run = (name: string, result: ExecutionResult) => {
      const args = {
        document: parse(`query ${name} { eventNames }`),
        operationName: name,
        contextValue: { tenant: 'acme' },
      };
      (plugin.onExecute as unknown as ExecuteHook)({ args }).onExecuteDone({ result });
    };
    for (let i = 0; i < 130; i++) run(`Op${i}`, { data: {} });
    run('Op0', { errors: [{ message: 'no', extensions: { code: 'BAD_USER_INPUT' } }] as never });

    const scrape = parsePrometheus(await registry.metrics());
    const names = new Set(
      scrape.find('pulsegraph_graphql_operations_total').map((s) => s.labels.operation),
    );
    expect(names.size).toBe(101);
    expect(scrape.value('pulsegraph_graphql_operations_total', { operation: '(other)' })).toBe(30);
    expect(
      scrape.value('pulsegraph_graphql_operations_total', { operation: 'Op0', outcome: 'error' }),
    ).toBe(1);
    expect(scrape.value('pulsegraph_graphql_operation_duration_seconds_count')).toBe(131);
    expect(logged.at(-1)).toMatchObject({
      tenant: 'acme',
      operation: 'Op0',
      type: 'query',
      errors: ['BAD_USER_INPUT'],
    });
  });
});
