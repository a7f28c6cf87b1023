import { describe, expect, it } from 'vitest';
import { decodeRecords } from '../../src/events/decode.js';
import { validateEvent, type EventLimits } from '../../src/events/validate.js';
import type { LogRecord } from '../../src/ports/event-log.js';

const limits: EventLimits = {
  maxNameLength: 20,
  maxDimensions: 3,
  maxDimensionKeyLength: 10,
  maxDimensionValueLength: 10,
  maxFutureSkewMs: 60_000,
};
const now = Date.parse('2026-01-01T00:00:00Z');
const context = { tenant: 'acme', receivedAt: now, fallbackId: () => 'generated', limits };

describe('validateEvent', () => {
  it('accepts a full event and normalises it', () => {
    const result = validateEvent(
      {
        id: 'e1',
        name: 'purchase',
        timestamp: '2025-12-31T23:59:00.250Z',
        userId: 42,
        value: 9.9900001,
        dimensions: { plan: 'pro' },
      },
      context,
    );
    expect(result).toEqual({
      ok: true,
      event: {
        id: 'e1',
        tenant: 'acme',
        name: 'purchase',
        timestamp: now - 59_750,
        userId: '42',
        value: 9.99,
        dimensions: { plan: 'pro' },
      },
    });
  });

  it('fills the id and the timestamp when absent', () => {
    const result = validateEvent({ name: 'page_view' }, context);
    expect(result.ok && result.event).toMatchObject({
      id: 'generated',
      timestamp: now,
      userId: null,
      value: null,
      dimensions: {},
    });
  });

  it.each([
    [null, 'must be a JSON object'],
    [[], 'must be a JSON object'],
    [{}, 'name is required'],
    [{ name: '' }, 'name is required'],
    [{ name: 'x'.repeat(21) }, 'name is longer than 20'],
    [{ name: 'a\u0000b' }, 'control characters'],
    [{ name: 'a', extra: 1 }, 'unknown field "extra"'],
    [{ name: 'a', timestamp: 'yesterday' }, 'not an ISO-8601 instant'],
    [{ name: 'a', timestamp: '2026-01-01T00:00:00' }, 'not an ISO-8601 instant'],
    [{ name: 'a', timestamp: now + 61_000 }, 'in the future'],
    [{ name: 'a', timestamp: -5 }, 'outside'],
    [{ name: 'a', value: 'ten' }, 'value must be a finite number'],
    [{ name: 'a', value: 2e12 }, 'value must be within'],
    [{ name: 'a', id: {} }, 'id must be a non-empty string'],
    [{ name: 'a', dimensions: 'x' }, 'flat object'],
    [{ name: 'a', dimensions: { a: '1', b: '2', c: '3', d: '4' } }, 'more than the limit of 3'],
    [{ name: 'a', dimensions: { 'bad key': 'x' } }, 'dimension key "bad key"'],
    [{ name: 'a', dimensions: { plan: 3 } }, 'dimension plan must be a string'],
    [{ name: 'a', dimensions: { plan: 'x'.repeat(11) } }, 'longer than 10'],
    [JSON.parse('{"name": "a\\ud800"}'), 'name is not well-formed Unicode'],
    [JSON.parse('{"name": "a", "id": "\\udfff"}'), 'id is not well-formed Unicode'],
    [JSON.parse('{"name": "a", "userId": "u\\ud800x"}'), 'userId is not well-formed Unicode'],
    [JSON.parse('{"name": "a", "dimensions": {"p": "\\ud83d"}}'), 'dimension p is not well-formed'],
  ])('rejects %j with a reason', (input, reason) => {
    const result = validateEvent(input, context);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain(reason);
  });
});

const record = (
  value: string | Buffer,
  headers: Record<string, string> = {},
  offset = 0,
): LogRecord => ({
  topic: 'events',
  partition: 2,
  offset,
  timestamp: now,
  key: null,
  headers,
  value: Buffer.isBuffer(value) ? value : Buffer.from(value),
});

describe('decodeRecords', () => {
  const options = {
    limits,
    maxMessageBytes: 2000,
    defaultTenant: null,
    isKnownTenant: (t: string) => t !== 'evil',
  };

  it('decodes single and array messages, tenant from header or field, ids from position', () => {
    const decoded = decodeRecords(
      [
        record('{"name":"a","id":"given"}', { tenant: 'acme' }, 5),
        record(
          '[{"name":"b","tenant":"beta"},{"name":"c","tenant":"beta","dimensions":{"topic":"own"}}]',
          {},
          6,
        ),
      ],
      options,
    );
    expect(decoded.rejections).toEqual([]);
    expect(
      decoded.events.map((e) => [e.tenant, e.name, e.id, e.offset, e.dimensions.topic]),
    ).toEqual([
      ['acme', 'a', 'given', 5, 'events'],
      ['beta', 'b', 'events:2:6:0', 6, 'events'],
      ['beta', 'c', 'events:2:6:1', 6, 'own'],
    ]);
    expect(decoded.idGiven).toEqual([true, false, false]);
  });

  it('rejects poison with a reason and keeps the valid neighbours', () => {
    const decoded = decodeRecords(
      [
        record('not json', { tenant: 'acme' }, 1),
        record('{"name":"ok"}', { tenant: 'acme' }, 2),
        record('[{"name":"ok2"},{"name":5}]', { tenant: 'acme' }, 3),
        record('{"name":"x"}', { tenant: 'evil' }, 4),
        record('{"name":"x"}', {}, 5),
        record(Buffer.alloc(2001, 32), { tenant: 'acme' }, 6),
        record('{"name":"x","tenant":"beta"}', { tenant: 'acme' }, 7),
      ],
      options,
    );
    expect(decoded.events.map((e) => e.name)).toEqual(['ok', 'ok2']);
    expect(decoded.rejections.map((r) => [r.record.offset, r.step, r.index])).toEqual([
      [1, 'parse', undefined],
      [3, 'validate', 1],
      [4, 'tenant', undefined],
      [5, 'tenant', undefined],
      [6, 'parse', undefined],
      [7, 'tenant', undefined],
    ]);
    expect(decoded.rejections[1]!.value.toString()).toBe('{"name":5}');
    expect(decoded.rejections[2]!.reason).toContain('unknown tenant');
    expect(decoded.rejections[4]!.reason).toContain('more than the limit');
  });
});
