import { getIntrospectionQuery, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { queryLimitRule } from '../../src/api/query-limits.js';
import { schema } from '../../schema/index.js';

const check = (query: string, limits = { maxDepth: 3, maxCost: 200 }) =>
  validate(schema, parse(query), [queryLimitRule(limits)]).map((e) => e.extensions);

const history = 'history(metric: {event: "x"}, from: "2024-01-01T00:00:00Z")';

describe('query depth and cost', () => {
  it('passes what the schema can ask within the limits', () => {
    expect(
      check(`{ ${history} { group points { time value } } eventNames freshness { behind } }`),
    ).toEqual([]);
    expect(check(getIntrospectionQuery(), { maxDepth: 2, maxCost: 10 })).toEqual([]);
  });

  it('depth: the longest chain of fields, through fragments', () => {
    expect(check(`{ ${history} { points { time } } }`, { maxDepth: 2, maxCost: 200 })).toEqual([
      expect.objectContaining({ code: 'BAD_USER_INPUT', limit: 'MAX_QUERY_DEPTH', max: 2 }),
    ]);
    expect(
      check(
        `{ ...Q } fragment Q on Query { ${history} { ...S } } fragment S on Series { points { time } }`,
        {
          maxDepth: 2,
          maxCost: 200,
        },
      ),
    ).toHaveLength(1);
  });

  it('cost: store-backed fields weigh their declared cost, every alias counts', () => {
    const aliases = (n: number) =>
      Array.from({ length: n }, (_, i) => `h${i}: ${history} { group }`).join(' ');
    expect(check(`{ ${aliases(3)} }`)).toEqual([]); // 3 × (50 + 1)
    expect(check(`{ ${aliases(4)} }`)).toEqual([
      expect.objectContaining({ limit: 'MAX_QUERY_COST', max: 200 }),
    ]);
    const live = Array.from(
      { length: 10 },
      (_, i) => `l${i}: live(metric: {event: "x"}) { value }`,
    ).join(' ');
    expect(check(`{ ${live} }`)).toEqual([expect.objectContaining({ limit: 'MAX_QUERY_COST' })]);
  });

  it('measures a fragment bomb in linear time', () => {
    const fragments = Array.from(
      { length: 40 },
      (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
    );
    const started = performance.now();
    const errors = check(
      `{ ...F0 } ${fragments.join(' ')} fragment F40 on Query { freshness { behind } }`,
    );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(errors).toEqual([expect.objectContaining({ limit: 'MAX_QUERY_COST' })]);
  });
});
