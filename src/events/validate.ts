import type { AnalyticsEvent } from './event.js';

export interface EventLimits {
  maxNameLength: number;
  maxDimensions: number;
  maxDimensionKeyLength: number;
  maxDimensionValueLength: number;
  /** Events stamped later than receivedAt + this are rejected. */
  maxFutureSkewMs: number;
}

export type Validation = { ok: true; event: AnalyticsEvent } | { ok: false; reason: string };

export interface ValidationContext {
  tenant: string;
  /** When the event reached us: the default timestamp, and "now" for the future check. */
  receivedAt: number;
  /** The id used when the event carries none. */
  fallbackId: () => string;
  limits: EventLimits;
  /** Fields allowed besides the event's own (e.g. `tenant` in a Kafka message). */
  extraFields?: ReadonlySet<string>;
}

const EVENT_FIELDS = new Set(['id', 'name', 'timestamp', 'userId', 'value', 'dimensions']);
/** What a dimension key may look like, in events and in queries alike. */
export const DIMENSION_KEY = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
/**
 * A lone UTF-16 surrogate (JSON "\ud800") has no UTF-8 form: Redis keys, Lua's JSON and
 * ClickHouse would each mangle or refuse it, so such text is turned away at the door.
 */
const NOT_WELL_FORMED = 'is not well-formed Unicode (a lone surrogate)';
const MAX_ID_LENGTH = 128;
const MAX_USER_ID_LENGTH = 256;
/** Keeps value × 1e6 (the micro-units sums are kept in) inside an exact 64-bit integer. */
const MAX_ABS_VALUE = 1e12;
/** The last second ClickHouse's DateTime can hold (2105-12-31). */
const MAX_TIMESTAMP_MS = 4_291_747_199_000;

const fail = (reason: string): Validation => ({ ok: false, reason });

/** Values are kept to six decimals so that sums in micro-units are exact in every store. */
export const roundValue = (value: number): number => Math.round(value * 1e6) / 1e6;

export function parseTimestamp(raw: unknown): number | string {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return 'timestamp must be a finite number of epoch milliseconds';
    return Math.trunc(raw);
  }
  if (typeof raw !== 'string') return 'timestamp must be an ISO-8601 string or epoch milliseconds';
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(raw))
    return `timestamp ${JSON.stringify(raw.slice(0, 40))} is not an ISO-8601 instant with a time zone`;
  const ms = Date.parse(raw);
  return Number.isNaN(ms)
    ? `timestamp ${JSON.stringify(raw.slice(0, 40))} is not a valid date`
    : ms;
}

function validateDimensions(raw: unknown, limits: EventLimits): Record<string, string> | string {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    return 'dimensions must be a flat object of strings';
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > limits.maxDimensions)
    return `dimensions has ${entries.length} keys, more than the limit of ${limits.maxDimensions}`;
  const dimensions: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (key.length > limits.maxDimensionKeyLength || !DIMENSION_KEY.test(key))
      return `dimension key ${JSON.stringify(key.slice(0, 80))} must match ${DIMENSION_KEY.source} and be at most ${limits.maxDimensionKeyLength} characters`;
    if (typeof value !== 'string') return `dimension ${key} must be a string, got ${typeof value}`;
    if (value.length > limits.maxDimensionValueLength)
      return `dimension ${key} is longer than ${limits.maxDimensionValueLength} characters`;
    if (CONTROL_CHARACTERS.test(value)) return `dimension ${key} contains control characters`;
    if (!value.isWellFormed()) return `dimension ${key} ${NOT_WELL_FORMED}`;
    dimensions[key] = value;
  }
  return dimensions;
}

/** Checks one event against the model and limits of API.md; never throws on bad input. */
export function validateEvent(input: unknown, context: ValidationContext): Validation {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return fail('an event must be a JSON object');
  const raw = input as Record<string, unknown>;
  const { limits } = context;
  for (const field of Object.keys(raw))
    if (!EVENT_FIELDS.has(field) && !context.extraFields?.has(field))
      return fail(`unknown field ${JSON.stringify(field.slice(0, 80))}`);

  const { name } = raw;
  if (typeof name !== 'string' || name.trim().length === 0)
    return fail('name is required and must be a non-empty string');
  if (name.length > limits.maxNameLength)
    return fail(`name is longer than ${limits.maxNameLength} characters`);
  if (CONTROL_CHARACTERS.test(name)) return fail('name contains control characters');
  if (!name.isWellFormed()) return fail(`name ${NOT_WELL_FORMED}`);

  let timestamp = context.receivedAt;
  if (raw.timestamp !== undefined && raw.timestamp !== null) {
    const parsed = parseTimestamp(raw.timestamp);
    if (typeof parsed === 'string') return fail(parsed);
    timestamp = parsed;
  }
  if (timestamp < 0 || timestamp > MAX_TIMESTAMP_MS)
    return fail('timestamp is outside 1970-01-01..2105-12-31');
  if (timestamp > context.receivedAt + limits.maxFutureSkewMs)
    return fail(`timestamp is more than ${limits.maxFutureSkewMs / 1000}s in the future`);

  let id: string;
  if (raw.id === undefined || raw.id === null) id = context.fallbackId();
  else if ((typeof raw.id === 'string' || typeof raw.id === 'number') && String(raw.id).length > 0)
    id = String(raw.id);
  else return fail('id must be a non-empty string');
  if (id.length > MAX_ID_LENGTH) return fail(`id is longer than ${MAX_ID_LENGTH} characters`);
  if (!id.isWellFormed()) return fail(`id ${NOT_WELL_FORMED}`);

  let userId: string | null = null;
  if (raw.userId !== undefined && raw.userId !== null) {
    if (typeof raw.userId !== 'string' && typeof raw.userId !== 'number')
      return fail('userId must be a string');
    userId = String(raw.userId);
    if (userId.length > MAX_USER_ID_LENGTH)
      return fail(`userId is longer than ${MAX_USER_ID_LENGTH} characters`);
    if (!userId.isWellFormed()) return fail(`userId ${NOT_WELL_FORMED}`);
  }

  let value: number | null = null;
  if (raw.value !== undefined && raw.value !== null) {
    if (typeof raw.value !== 'number' || !Number.isFinite(raw.value))
      return fail('value must be a finite number');
    if (Math.abs(raw.value) > MAX_ABS_VALUE) return fail(`value must be within ±${MAX_ABS_VALUE}`);
    value = roundValue(raw.value);
  }

  const dimensions = validateDimensions(raw.dimensions, limits);
  if (typeof dimensions === 'string') return fail(dimensions);

  return {
    ok: true,
    event: { id, tenant: context.tenant, name, timestamp, userId, value, dimensions },
  };
}

export const eventLimitsFrom = (fold: {
  MAX_NAME_LENGTH: number;
  MAX_DIMENSIONS: number;
  MAX_DIMENSION_KEY_LENGTH: number;
  MAX_DIMENSION_VALUE_LENGTH: number;
  MAX_FUTURE_SKEW_SECONDS: number;
}): EventLimits => ({
  maxNameLength: fold.MAX_NAME_LENGTH,
  maxDimensions: fold.MAX_DIMENSIONS,
  maxDimensionKeyLength: fold.MAX_DIMENSION_KEY_LENGTH,
  maxDimensionValueLength: fold.MAX_DIMENSION_VALUE_LENGTH,
  maxFutureSkewMs: fold.MAX_FUTURE_SKEW_SECONDS * 1000,
});
