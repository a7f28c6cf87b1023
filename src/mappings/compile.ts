import { createHash } from 'node:crypto';
import type { LogRecord } from '../ports/event-log.js';
import { DIMENSION_KEY, parseTimestamp } from '../events/validate.js';
import { FieldPathError, parseFieldPath, readPath, type FieldPath } from './path.js';
import type { TimestampFormat, TopicMappingSpec } from './spec.js';

/** A mapping that cannot be compiled: its message says which field and why. */
export class MappingError extends Error {
  override name = 'MappingError';
}

/** Kafka's rule for topic names. */
export const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const MAPPING_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** An event in the native shape, ready for validateEvent. */
export interface MappedEvent {
  id?: string;
  name: string;
  timestamp?: number;
  userId?: string;
  value?: number;
  dimensions: Record<string, string>;
}

export type TenantRule =
  | { kind: 'constant'; tenant: string }
  | { kind: 'header'; header: string }
  | { kind: 'path'; path: FieldPath }
  /** The native rule: the `tenant` header, else the default tenant. */
  | { kind: 'native' };

export interface CompiledMapping {
  name: string;
  topic: string;
  spec: TopicMappingSpec;
  tenant: TenantRule;
  /** True when the message passes the filter. */
  accepts(message: unknown): boolean;
  /** The event a message becomes, or the reason it cannot become one. */
  map(message: unknown, record: LogRecord, index: number): MappedEvent | string;
  /** True when ids come from the message (they can repeat and must be claimed). */
  idGiven: boolean;
}

type Reader = (message: unknown) => unknown;

function path(source: string, field: string): FieldPath {
  try {
    return parseFieldPath(source);
  } catch (error) {
    if (error instanceof FieldPathError) throw new MappingError(`${field}: ${error.message}`);
    throw error;
  }
}

const reader =
  (field: FieldPath): Reader =>
  (message) =>
    readPath(message, field);

/** Constants and paths as one reader: `$...` is a path, anything else is returned as it is. */
const constantOrPath = (source: string, field: string): Reader =>
  source.startsWith('$') ? reader(path(source, field)) : () => source;

const isScalar = (value: unknown): value is string | number | boolean =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

const NUMERIC = /^\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value);
  return undefined;
}

function toTimestamp(value: unknown, format: TimestampFormat): number | string {
  if (format === 'ISO8601') {
    if (typeof value !== 'string') return 'must be an ISO-8601 string';
    const ms = parseTimestamp(value);
    return typeof ms === 'number' ? ms : `is unusable (${ms})`;
  }
  const number = toNumber(value);
  if (number === undefined || !Number.isFinite(number))
    return `must be a number of ${format === 'EPOCH_SECONDS' ? 'seconds' : 'milliseconds'} since the epoch`;
  return Math.trunc(format === 'EPOCH_SECONDS' ? number * 1000 : number);
}

function tenantRule(source: string | undefined): TenantRule {
  if (source === undefined) return { kind: 'native' };
  if (source.startsWith('$')) return { kind: 'path', path: path(source, 'tenant') };
  if (source.startsWith('header:')) {
    const header = source.slice('header:'.length);
    if (header.length === 0) throw new MappingError('tenant: header: needs a header name');
    return { kind: 'header', header };
  }
  return { kind: 'constant', tenant: source };
}

/** A stable id for a message without one: the same record always gets the same id. */
function positionId(mapping: string, record: LogRecord, index: number): string {
  return createHash('sha256')
    .update(`${mapping}\0${record.topic}\0${record.partition}\0${record.offset}\0${index}`)
    .digest('base64url')
    .slice(0, 32);
}

/**
 * Checks a mapping and turns it into accessors. `owner` pins the tenant (mappings of the admin
 * API belong to the caller); without one the spec's tenant rule applies (the mappings file).
 */
export function compileMapping(spec: TopicMappingSpec, owner?: string): CompiledMapping {
  if (!MAPPING_NAME.test(spec.name))
    throw new MappingError(`name must match ${MAPPING_NAME.source}`);
  if (!TOPIC_NAME.test(spec.topic))
    throw new MappingError('topic must be a Kafka topic name: letters, digits, . _ - only');
  const eventName = constantOrPath(spec.eventName, 'eventName');
  const prefix = spec.eventNamePrefix ?? '';
  const timestamp = spec.timestamp && {
    read: reader(path(spec.timestamp.path, 'timestamp.path')),
    format: spec.timestamp.format,
  };
  const id = spec.id === undefined ? undefined : reader(path(spec.id, 'id'));
  const userId = spec.userId === undefined ? undefined : reader(path(spec.userId, 'userId'));
  const value = spec.value === undefined ? undefined : reader(path(spec.value, 'value'));
  const seen = new Set<string>();
  const dimensions = spec.dimensions.map(({ name, path: source }, i) => {
    if (!DIMENSION_KEY.test(name))
      throw new MappingError(`dimensions[${i}].name must match ${DIMENSION_KEY.source}`);
    if (seen.has(name)) throw new MappingError(`dimensions[${i}].name ${name} appears twice`);
    seen.add(name);
    return { name, read: reader(path(source, `dimensions[${i}].path`)) };
  });
  const filter = spec.filter.map((condition, i) => {
    if ((condition.equals === undefined) === (condition.in === undefined))
      throw new MappingError(`filter[${i}] needs exactly one of equals and in`);
    const wanted = new Set(condition.in ?? [condition.equals!]);
    return { read: reader(path(condition.path, `filter[${i}].path`)), wanted };
  });
  const tenant: TenantRule =
    owner === undefined ? tenantRule(spec.tenant) : { kind: 'constant', tenant: owner };

  return {
    name: spec.name,
    topic: spec.topic,
    spec,
    tenant,
    idGiven: id !== undefined,
    accepts(message) {
      for (const { read, wanted } of filter) {
        const found = read(message);
        if (!isScalar(found) || !wanted.has(String(found))) return false;
      }
      return true;
    },
    map(message, record, index) {
      const name = eventName(message);
      if (!isScalar(name) || name === '') return `eventName: no value at ${spec.eventName}`;
      const event: MappedEvent = { name: prefix + String(name), dimensions: {} };
      if (timestamp) {
        const raw = timestamp.read(message);
        if (raw === undefined || raw === null)
          return `timestamp: no value at ${spec.timestamp!.path}`;
        const ms = toTimestamp(raw, timestamp.format);
        if (typeof ms === 'string') return `timestamp at ${spec.timestamp!.path} ${ms}`;
        event.timestamp = ms;
      }
      if (id) {
        const raw = id(message);
        if (!isScalar(raw) || raw === '') return `id: no value at ${spec.id}`;
        event.id = String(raw);
      } else event.id = positionId(spec.name, record, index);
      if (userId) {
        const raw = userId(message);
        if (isScalar(raw)) event.userId = String(raw);
        else if (raw !== undefined && raw !== null)
          return `userId at ${spec.userId} is not a scalar`;
      }
      if (value) {
        const raw = value(message);
        if (raw !== undefined && raw !== null) {
          const number = toNumber(raw);
          if (number === undefined) return `value at ${spec.value} is not a number`;
          event.value = number;
        }
      }
      for (const dimension of dimensions) {
        const raw = dimension.read(message);
        if (raw === undefined || raw === null) continue;
        if (!isScalar(raw))
          return `dimension ${dimension.name}: the value at its path is not a scalar`;
        event.dimensions[dimension.name] = String(raw);
      }
      return event;
    },
  };
}
