import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { decodeRecords, type DecodeOptions } from '../../src/events/decode.js';
import { compileMapping, MappingError } from '../../src/mappings/compile.js';
import { dryRunMapping } from '../../src/mappings/dry-run.js';
import { parseFieldPath, readPath } from '../../src/mappings/path.js';
import { topicMappingSpec, type TopicMappingSpec } from '../../src/mappings/spec.js';
import type { LogRecord } from '../../src/ports/event-log.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');

const spec = (fields: Record<string, unknown>): TopicMappingSpec =>
  topicMappingSpec.parse({ name: 'shop', topic: 'transactions', eventName: 'purchase', ...fields });

const options: DecodeOptions = {
  limits: {
    maxNameLength: 128,
    maxDimensions: 32,
    maxDimensionKeyLength: 64,
    maxDimensionValueLength: 256,
    maxFutureSkewMs: 300_000,
  },
  maxMessageBytes: 1 << 20,
  defaultTenant: 'default',
  isKnownTenant: (tenant) => ['default', 'acme', 'globex'].includes(tenant),
};

function record(value: unknown, offset = 7, headers: Record<string, string> = {}): LogRecord {
  return {
    topic: 'transactions',
    partition: 2,
    offset,
    timestamp: NOW,
    key: null,
    headers,
    value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  };
}

/** A foreign message: nested user, epoch-millisecond time, a string amount, a type field. */
const foreign = {
  type: 'checkout',
  ts: NOW - 5_000,
  txn: { id: 'T-1', amount: '12.50', currency: 'EUR' },
  user: { id: 42, country: 'DE', tags: ['vip', 'beta'] },
};

const shop = spec({
  eventName: '$.type',
  eventNamePrefix: 'shop.',
  timestamp: { path: '$.ts', format: 'EPOCH_MILLIS' },
  id: '$.txn.id',
  userId: '$.user.id',
  value: '$.txn.amount',
  dimensions: [
    { name: 'country', path: '$.user.country' },
    { name: 'first_tag', path: '$.user.tags[0]' },
    { name: 'currency', path: '$.txn.currency' },
  ],
});

describe('field paths', () => {
  it('reads dot paths with array indexes, and nothing else', () => {
    expect(parseFieldPath('$.user.tags[1]').steps).toEqual(['user', 'tags', 1]);
    expect(readPath(foreign, parseFieldPath('$.user.tags[1]'))).toBe('beta');
    expect(readPath(foreign, parseFieldPath('$'))).toBe(foreign);
    expect(readPath(foreign, parseFieldPath('$.user.missing.deeper'))).toBeUndefined();
    expect(readPath(foreign, parseFieldPath('$.user[0]'))).toBeUndefined();
    expect(readPath(foreign, parseFieldPath('$.user.tags.length'))).toBeUndefined();
    expect(readPath({}, parseFieldPath('$.constructor'))).toBeUndefined();
    for (const bad of [
      'user.id',
      '$..id',
      '$.user[*]',
      "$['user']",
      '$.user.id; process.exit()',
      '$.a[01]',
      '$.' + 'a.'.repeat(20) + 'a',
    ])
      expect(() => parseFieldPath(bad), bad).toThrow();
  });
});

describe('compiling a mapping', () => {
  it('refuses unknown syntax, formats, names and half-filled filters with the field named', () => {
    const refused = (fields: Record<string, unknown>) => {
      try {
        compileMapping(spec(fields));
      } catch (error) {
        return (error as Error).message;
      }
      return 'compiled';
    };
    expect(refused({ userId: '$.user..id' })).toMatch(/^userId: .*unsupported syntax/);
    expect(refused({ dimensions: [{ name: 'bad key', path: '$.a' }] })).toMatch(
      /dimensions\[0\]\.name/,
    );
    expect(refused({ filter: [{ path: '$.type' }] })).toMatch(/filter\[0\] needs exactly one/);
    expect(refused({ topic: 'no spaces' })).toMatch(/topic/);
    expect(refused({ tenant: 'header:' })).toMatch(/tenant/);
    expect(() => spec({ timestamp: { path: '$.ts', format: 'EPOCH_NANOS' } })).toThrow();
    expect(() => spec({ unknown: 1 })).toThrow();
    expect(() => compileMapping(spec({ id: '$.id[x]' }))).toThrow(MappingError);
  });

  it('maps a foreign message: nested fields, epoch ms, string amounts, array elements', () => {
    const decoded = decodeRecords([record(foreign)], {
      ...options,
      mappingsFor: () => [compileMapping(shop, 'acme')],
    });
    expect(decoded.rejections).toEqual([]);
    expect(decoded.events).toEqual([
      {
        id: 'T-1',
        tenant: 'acme',
        name: 'shop.checkout',
        timestamp: NOW - 5_000,
        userId: '42',
        value: 12.5,
        dimensions: { country: 'DE', first_tag: 'vip', currency: 'EUR', topic: 'transactions' },
        topic: 'transactions',
        partition: 2,
        offset: 7,
      },
    ]);
    expect(decoded.idGiven).toEqual([true]);
  });

  it('reads epoch seconds and ISO-8601, and falls back to the record time', () => {
    const at = (timestamp: TopicMappingSpec['timestamp'], message: unknown) =>
      decodeRecords([record(message)], {
        ...options,
        mappingsFor: () => [compileMapping(spec({ timestamp }))],
      }).events[0]?.timestamp;
    expect(at({ path: '$.t', format: 'EPOCH_SECONDS' }, { t: (NOW - 2000) / 1000 })).toBe(
      NOW - 2000,
    );
    expect(at({ path: '$.t', format: 'EPOCH_SECONDS' }, { t: '1777636798.5' })).toBe(1777636798500);
    expect(at({ path: '$.t', format: 'ISO8601' }, { t: '2026-05-01T13:59:00+02:00' })).toBe(
      NOW - 60_000,
    );
    expect(at(undefined, { anything: true })).toBe(NOW);
  });

  it('derives stable ids from the position when the mapping names no id path', () => {
    const mapping = compileMapping(spec({}));
    const once = decodeRecords([record({ a: 1 }, 9)], { ...options, mappingsFor: () => [mapping] });
    const again = decodeRecords([record({ a: 2 }, 9)], {
      ...options,
      mappingsFor: () => [mapping],
    });
    const other = decodeRecords([record({ a: 1 }, 10)], {
      ...options,
      mappingsFor: () => [mapping],
    });
    expect(once.events[0]!.id).toBe(again.events[0]!.id);
    expect(once.events[0]!.id).not.toBe(other.events[0]!.id);
    expect(once.idGiven).toEqual([false]);
  });

  it('rejects what it cannot read, naming the mapping, and keeps the neighbours', () => {
    const decoded = decodeRecords(
      [
        record({ ...foreign, ts: 'yesterday' }, 1),
        record({ ...foreign, txn: { id: 'T-2', amount: 'twelve' } }, 2),
        record({ ...foreign, type: undefined }, 3),
        record({ ...foreign, txn: { amount: '1' } }, 4),
        record('{not json', 5),
        record({ ...foreign, user: { id: 1, country: { nested: true } } }, 6),
        record(foreign, 8),
      ],
      { ...options, mappingsFor: () => [compileMapping(shop, 'acme')] },
    );
    expect(decoded.events.map((e) => e.offset)).toEqual([8]);
    expect(decoded.rejections.map((r) => [r.record.offset, r.step, r.mapping, r.reason])).toEqual([
      [1, 'map', 'shop', expect.stringContaining('timestamp at $.ts must be a number')],
      [2, 'map', 'shop', expect.stringContaining('value at $.txn.amount is not a number')],
      [3, 'map', 'shop', expect.stringContaining('eventName: no value at $.type')],
      [4, 'map', 'shop', expect.stringContaining('id: no value at $.txn.id')],
      [5, 'parse', undefined, expect.stringContaining('not JSON')],
      [6, 'map', 'shop', expect.stringContaining('dimension country')],
    ]);
  });

  it('filters a mixed topic into several event names, one mapping each', () => {
    const purchases = compileMapping(
      spec({
        name: 'purchases',
        eventName: 'purchase',
        filter: [{ path: '$.kind', equals: 'buy' }],
      }),
    );
    const views = compileMapping(
      spec({
        name: 'views',
        eventName: 'page_view',
        filter: [{ path: '$.kind', in: ['view', 'open'] }],
      }),
    );
    const decoded = decodeRecords(
      [record({ kind: 'buy' }, 1), record({ kind: 'open' }, 2), record({ kind: 'refund' }, 3)],
      { ...options, mappingsFor: () => [purchases, views] },
    );
    expect(decoded.events.map((e) => [e.offset, e.name])).toEqual([
      [1, 'purchase'],
      [2, 'page_view'],
    ]);
    expect(decoded.rejections).toEqual([]);
  });

  it('takes the tenant from a constant, a header or a path; the owner pins it', () => {
    const tenantOf = (
      tenant: string | undefined,
      headers: Record<string, string>,
      owner?: string,
    ) => {
      const decoded = decodeRecords([record({ org: 'globex' }, 1, headers)], {
        ...options,
        defaultTenant: null,
        mappingsFor: () => [compileMapping(spec(tenant ? { tenant } : {}), owner)],
      });
      return decoded.events[0]?.tenant ?? decoded.rejections[0]!.reason;
    };
    expect(tenantOf('acme', {})).toBe('acme');
    expect(tenantOf('header:x-org', { 'x-org': 'globex' })).toBe('globex');
    expect(tenantOf('$.org', {})).toBe('globex');
    expect(tenantOf(undefined, { tenant: 'acme' })).toBe('acme');
    expect(tenantOf(undefined, {})).toMatch(/no tenant/);
    expect(tenantOf('mallory', {})).toMatch(/unknown tenant "mallory"/);
    expect(tenantOf('$.org', {}, 'acme')).toBe('acme');
  });

  it('dry runs sample messages through the same decoding', () => {
    const results = dryRunMapping(
      compileMapping(spec({ value: '$.v', filter: [{ path: '$.keep', equals: 'true' }] }), 'acme'),
      [
        JSON.stringify({ keep: true, v: '3' }),
        '{"keep": false}',
        'nope',
        '{"keep":"true","v":"x"}',
      ],
      options,
      NOW,
    );
    expect(
      results.map((r) => [r.events.map((e) => e.value), r.rejections.length, r.skipped]),
    ).toEqual([
      [[3], 0, false],
      [[], 0, true],
      [[], 1, false],
      [[], 1, false],
    ]);
    expect(results[0]!.events[0]).toMatchObject({
      tenant: 'acme',
      name: 'purchase',
      timestamp: NOW,
    });
  });
});

describe('the mappings file', () => {
  const file = (content: unknown) => {
    const path = join(mkdtempSync(join(tmpdir(), 'mappings-')), 'mappings.json');
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  it('is read and checked with the rest of the settings', () => {
    const path = file({ mappings: [shop] });
    expect(loadConfig({ TOPIC_MAPPINGS_FILE: path }).fold.TOPIC_MAPPINGS_FILE.mappings).toEqual([
      shop,
    ]);
    expect(() => loadConfig({ TOPIC_MAPPINGS_FILE: file('{') })).toThrow(
      /TOPIC_MAPPINGS_FILE: cannot read/,
    );
    expect(() =>
      loadConfig({ TOPIC_MAPPINGS_FILE: file({ mappings: [{ ...shop, userId: '$.user.[0]' }] }) }),
    ).toThrow(/TOPIC_MAPPINGS_FILE: mappings\[0\] \(shop\): userId/);
    expect(() => loadConfig({ TOPIC_MAPPINGS_FILE: file({ mappings: [shop, shop] }) })).toThrow(
      /repeats/,
    );
    expect(() =>
      loadConfig({ TOPIC_MAPPINGS_FILE: file({ mappings: [{ ...shop, topic: 'events' }] }) }),
    ).toThrow(ConfigError);
  });
});
