import { describe, expect, it } from 'vitest';
import {
  bucketQuery,
  bucketQuerySettings,
  eventNamesQuery,
  offsetsQuery,
  topGroupsQuery,
} from '../../src/adapters/clickhouse/history-sql.js';
import { identifier, integer, quoteList, quoteString } from '../../src/adapters/clickhouse/sql.js';
import { AGGREGATES } from '../../src/events/metric.js';
import { planHistoryQuery } from '../../src/history/plan.js';

/**
 * Reads ClickHouse SQL the way its lexer does: string literals in single quotes with C-style
 * escapes (\b \f \n \r \t \0 \a \v \xHH, and \c for any other c). Returns the decoded literals and
 * the text outside them.
 */
function lex(sql: string): { literals: string[]; outside: string } {
  const literals: string[] = [];
  let outside = '';
  const simple: Record<string, string> = {
    b: '\b',
    f: '\f',
    n: '\n',
    r: '\r',
    t: '\t',
    '0': '\0',
    a: '\x07',
    v: '\v',
  };
  let i = 0;
  while (i < sql.length) {
    if (sql[i] !== "'") {
      outside += sql[i++];
      continue;
    }
    let value = '';
    i++;
    for (;;) {
      if (i >= sql.length) throw new Error(`unterminated literal in ${sql}`);
      const c = sql[i]!;
      if (c === "'") break;
      if (c === '\\') {
        const e = sql[i + 1]!;
        if (e === 'x') {
          value += String.fromCharCode(parseInt(sql.slice(i + 2, i + 4), 16));
          i += 4;
        } else {
          value += simple[e] ?? e;
          i += 2;
        }
      } else {
        value += c;
        i++;
      }
    }
    i++;
    literals.push(value);
    outside += "''";
  }
  return { literals, outside };
}

const HOSTILE = [
  '',
  "'",
  "''",
  '\\',
  "\\'",
  "'\\",
  "x'; DROP TABLE events; --",
  "' OR '1'='1",
  'a\u0000b',
  '\u0001\u001f\u007f\t\n\r',
  'ü 日本語 😀 \u202e',
  '\ud800 lone surrogate',
  '{name:String}',
  '`x`',
  '"x"',
  '\\x27',
  '\\0',
  '%_',
];

describe('quoteString', () => {
  it('escapes quote and backslash, writes control bytes as \\xHH, keeps unicode', () => {
    expect(quoteString("it's")).toBe("'it\\'s'");
    expect(quoteString('a\\b')).toBe("'a\\\\b'");
    expect(quoteString('a\u0000b\nc\u007f')).toBe("'a\\x00b\\x0ac\\x7f'");
    expect(quoteString('ü 日本語 😀')).toBe("'ü 日本語 😀'");
    expect(quoteString('')).toBe("''");
  });

  it('round-trips every string through the ClickHouse lexer as one literal', () => {
    const random = Array.from({ length: 500 }, (_, n) =>
      Array.from({ length: n % 40 }, (_, i) =>
        String.fromCharCode(
          [0, 39, 92, 10, 120, 48, 0x263a, 0xe9][(n * 7 + i * 13) % 8]! + (i % 3),
        ),
      ).join(''),
    );
    for (const value of [...HOSTILE, ...random]) {
      const quoted = quoteString(value);
      const { literals, outside } = lex(quoted);
      expect(literals).toEqual([value]);
      expect(outside).toBe("''");
      // eslint-disable-next-line no-control-regex
      expect(quoted).not.toMatch(/[\u0000-\u001f\u007f]/);
    }
  });

  it('quotes lists for IN and refuses an empty one', () => {
    expect(quoteList(['a', "b'"])).toBe("('a', 'b\\'')");
    expect(() => quoteList([])).toThrow(RangeError);
  });
});

describe('identifier and integer', () => {
  it('accepts plain identifiers only, back-quoted', () => {
    expect(identifier('analytics_1')).toBe('`analytics_1`');
    for (const bad of ['', '1abc', 'a-b', 'a.b', 'a`b', "a'b", 'a b', 'x'.repeat(64), 'é'])
      expect(() => identifier(bad), bad).toThrow(RangeError);
  });

  it('accepts non-negative safe integers only', () => {
    expect(integer(0)).toBe('0');
    expect(integer(86_400)).toBe('86400');
    for (const bad of [-1, 1.5, Number.NaN, Infinity, 2 ** 60])
      expect(() => integer(bad)).toThrow(RangeError);
  });
});

describe('history queries', () => {
  it('carry user strings only inside literals, whatever the path', () => {
    for (const s of HOSTILE.filter((h) => h !== ''))
      for (const aggregate of AGGREGATES)
        for (const [filter, groupBy] of [
          [[], null],
          [[{ key: s, in: [s, 'x'] }], null],
          [[{ key: s, in: [s] }], s],
          [[{ key: 'k', in: [s] }], s],
        ] as const) {
          const plan = planHistoryQuery(
            {
              tenant: s,
              metric: {
                event: s,
                aggregate,
                filter: filter.map((f) => ({ ...f, in: [...f.in] })),
                groupBy,
              },
              fromMs: 0,
              toMs: 3_600_000,
              intervalMs: 3_600_000,
              maxGroups: 5,
            },
            { minute: true, hour: true },
          );
          const queries = [bucketQuery('`db`', plan, groupBy === null ? null : [s, 'y'])];
          if (groupBy !== null) queries.push(topGroupsQuery('`db`', plan));
          for (const sql of queries) {
            const { literals, outside } = lex(sql);
            expect(literals).toContain(s);
            expect(outside).not.toMatch(/DROP|OR '1'|😀|String|--/);
            expect([...outside].every((c) => c >= ' ' && c !== '\u007f')).toBe(true);
          }
        }
    for (const sql of [eventNamesQuery('`db`', "'; DROP", 10), offsetsQuery('`db`', ["'; DROP"])]) {
      expect(lex(sql).literals).toContain("'; DROP");
      expect(lex(sql).outside).not.toContain('DROP');
    }
  });
});

describe('bucket query settings', () => {
  const DAY_MS = 86_400_000;
  const plan = (intervalMs: number, metric: { groupBy?: string; filter?: string[] } = {}) =>
    planHistoryQuery(
      {
        tenant: 't',
        metric: {
          event: 'e',
          aggregate: 'COUNT',
          filter: metric.filter ? [{ key: 'country', in: metric.filter }] : [],
          groupBy: metric.groupBy ?? null,
        },
        fromMs: 0,
        toMs: 30 * DAY_MS,
        intervalMs,
        maxGroups: 50,
      },
      { minute: true, hour: true },
    );

  it('reads a small rollup slice on one thread', () => {
    expect(bucketQuerySettings(plan(3_600_000), null)).toEqual({ max_threads: 1 });
    // A month at 5 min from the minute rollup: 43,200 rows.
    expect(bucketQuerySettings(plan(300_000), null)).toEqual({ max_threads: 1 });
  });

  it('leaves large rollup reads and raw events to ClickHouse', () => {
    const groups = Array.from({ length: 10 }, (_, i) => `c${i}`);
    expect(bucketQuerySettings(plan(300_000, { groupBy: 'country' }), groups)).toEqual({});
    expect(bucketQuerySettings(plan(300_000, { filter: groups }), null)).toEqual({});
    expect(bucketQuerySettings(plan(90_000), null)).toEqual({});
  });
});
