import type { CompiledMapping } from '../mappings/compile.js';
import { readPath } from '../mappings/path.js';
import type { LogRecord } from '../ports/event-log.js';
import type { AnalyticsEvent, PositionedEvent } from './event.js';
import { validateEvent, type EventLimits, type ValidationContext } from './validate.js';

/** A message, or one element of a message's array, that cannot become an event. */
export interface DecodeRejection {
  record: LogRecord;
  /** The rejected bytes: the whole message, or the one array element. */
  value: Buffer;
  reason: string;
  step: 'parse' | 'validate' | 'tenant' | 'map';
  /** Position inside a JSON-array message. */
  index?: number;
  /** The topic mapping that read the message, for messages of a mapped topic. */
  mapping?: string;
}

export interface DecodeOptions {
  limits: EventLimits;
  maxMessageBytes: number;
  /** Tenant used when a message names none (development mode), or null to reject such messages. */
  defaultTenant: string | null;
  isKnownTenant: (tenant: string) => boolean;
  /** The mappings of a topic; a topic without any carries native events. */
  mappingsFor?: (topic: string) => readonly CompiledMapping[] | undefined;
}

export interface Decoded {
  events: PositionedEvent[];
  /** Per event: true when the producer gave the id, so it must be checked for repeats. Ids derived
   * from the log position are unique per record and replays are handled by the sinks' offsets. */
  idGiven: boolean[];
  rejections: DecodeRejection[];
}

const TENANT_FIELD = new Set(['tenant']);

/**
 * Turns log records (one event or a JSON array of events per message, tenant in the `tenant`
 * header or field) into validated events. The record's time is "now" for validation, so a
 * replay judges an event exactly as the first fold did. Events without an id get one derived
 * from their position, so replays still dedup.
 */
export function decodeRecords(records: LogRecord[], options: DecodeOptions): Decoded {
  const decoded: Decoded = { events: [], idGiven: [], rejections: [] };
  const context = new ItemContext(options);
  for (const record of records) {
    if (record.value.length > options.maxMessageBytes) {
      decoded.rejections.push(
        rejection(
          record,
          record.value,
          `message is ${record.value.length} bytes, more than the limit of ${options.maxMessageBytes}`,
          'parse',
        ),
      );
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(record.value.toString('utf8'));
    } catch (error) {
      decoded.rejections.push(
        rejection(record, record.value, `not JSON: ${(error as Error).message}`, 'parse'),
      );
      continue;
    }
    context.record = record;
    const mappings = options.mappingsFor?.(record.topic);
    const decodeOne = mappings ? mapItem.bind(null, mappings) : decodeItem;
    if (!Array.isArray(parsed)) decodeOne(context, parsed, undefined, decoded);
    else for (let i = 0; i < parsed.length; i++) decodeOne(context, parsed[i], i, decoded);
  }
  return decoded;
}

/**
 * The validation context of the item being decoded, one object for a whole call: this runs for
 * every event, so it allocates no context and no closure per event.
 */
class ItemContext implements ValidationContext {
  tenant = '';
  receivedAt = 0;
  readonly limits: EventLimits;
  readonly extraFields = TENANT_FIELD;
  record!: LogRecord;
  index = 0;

  constructor(readonly options: DecodeOptions) {
    this.limits = options.limits;
  }

  fallbackId(): string {
    const { topic, partition, offset } = this.record;
    return `${topic}:${partition}:${offset}:${this.index}`;
  }
}

/** One event of a record: `index` is its position in an array message, undefined for a single one. */
function decodeItem(
  context: ItemContext,
  item: unknown,
  index: number | undefined,
  decoded: Decoded,
): void {
  const { record } = context;
  const tenant = tenantOf(record, item, context.options);
  if (typeof tenant !== 'string')
    return void decoded.rejections.push(
      itemRejection(record, item, index, tenant.reason, 'tenant'),
    );
  context.tenant = tenant;
  context.receivedAt = record.timestamp;
  context.index = index ?? 0;
  const validation = validateEvent(item, context);
  if (!validation.ok)
    return void decoded.rejections.push(
      itemRejection(record, item, index, validation.reason, 'validate'),
    );
  pushEvent(decoded, validation.event, record);
  decoded.idGiven.push(
    typeof item === 'object' && item !== null && (item as { id?: unknown }).id != null,
  );
}

/**
 * One item of a mapped topic: every mapping whose filter it passes turns it into an event of
 * that mapping's tenant; the item itself is never read as a native event.
 */
function mapItem(
  mappings: readonly CompiledMapping[],
  context: ItemContext,
  item: unknown,
  index: number | undefined,
  decoded: Decoded,
): void {
  const { record } = context;
  for (const mapping of mappings) {
    if (!mapping.accepts(item)) continue;
    const tenant = mappedTenant(mapping, record, item, context.options);
    if (typeof tenant !== 'string') {
      rejectMapped(decoded, context, item, index, mapping, tenant.reason, 'tenant');
      continue;
    }
    const mapped = mapping.map(item, record, index ?? 0);
    if (typeof mapped === 'string') {
      rejectMapped(decoded, context, item, index, mapping, mapped, 'map');
      continue;
    }
    context.tenant = tenant;
    context.receivedAt = record.timestamp;
    const validation = validateEvent(mapped, context);
    if (!validation.ok) {
      rejectMapped(decoded, context, item, index, mapping, validation.reason, 'validate');
      continue;
    }
    pushEvent(decoded, validation.event, record);
    decoded.idGiven.push(mapping.idGiven);
  }
}

function rejectMapped(
  decoded: Decoded,
  context: ItemContext,
  item: unknown,
  index: number | undefined,
  mapping: CompiledMapping,
  reason: string,
  step: DecodeRejection['step'],
): void {
  decoded.rejections.push({
    ...itemRejection(context.record, item, index, reason, step),
    mapping: mapping.name,
  });
}

function pushEvent(decoded: Decoded, event: AnalyticsEvent, record: LogRecord): void {
  if (event.dimensions.topic === undefined) event.dimensions.topic = record.topic;
  // One object of the final shape rather than a spread copy.
  decoded.events.push({
    id: event.id,
    tenant: event.tenant,
    name: event.name,
    timestamp: event.timestamp,
    userId: event.userId,
    value: event.value,
    dimensions: event.dimensions,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
  });
}

/** A single-event message is rejected as it is; an array's element as its own JSON. */
function itemRejection(
  record: LogRecord,
  item: unknown,
  index: number | undefined,
  reason: string,
  step: DecodeRejection['step'],
): DecodeRejection {
  return index === undefined
    ? rejection(record, record.value, reason, step)
    : rejection(record, Buffer.from(JSON.stringify(item)), reason, step, index);
}

function rejection(
  record: LogRecord,
  value: Buffer,
  reason: string,
  step: DecodeRejection['step'],
  index?: number,
): DecodeRejection {
  return index === undefined
    ? { record, value, reason, step }
    : { record, value, reason, step, index };
}

function tenantOf(
  record: LogRecord,
  item: unknown,
  options: DecodeOptions,
): string | { reason: string } {
  const fromHeader = record.headers.tenant;
  const field =
    typeof item === 'object' && item !== null ? (item as { tenant?: unknown }).tenant : undefined;
  if (field !== undefined && typeof field !== 'string')
    return { reason: 'tenant field must be a string' };
  if (fromHeader !== undefined && field !== undefined && fromHeader !== field)
    return {
      reason: `tenant header ${JSON.stringify(fromHeader)} and field ${JSON.stringify(field)} disagree`,
    };
  return admitTenant(
    fromHeader ?? field ?? options.defaultTenant,
    'no tenant: set the tenant header or field',
    options,
  );
}

function admitTenant(
  tenant: string | null,
  missing: string,
  options: DecodeOptions,
): string | { reason: string } {
  if (tenant === null) return { reason: missing };
  if (!options.isKnownTenant(tenant))
    return { reason: `unknown tenant ${JSON.stringify(tenant.slice(0, 64))}` };
  return tenant;
}

function mappedTenant(
  mapping: CompiledMapping,
  record: LogRecord,
  item: unknown,
  options: DecodeOptions,
): string | { reason: string } {
  const rule = mapping.tenant;
  let tenant: string | null;
  if (rule.kind === 'constant') tenant = rule.tenant;
  else if (rule.kind === 'header') tenant = record.headers[rule.header] ?? null;
  else if (rule.kind === 'path') {
    const found = readPath(item, rule.path);
    tenant = typeof found === 'string' ? found : null;
  } else tenant = record.headers.tenant ?? options.defaultTenant;
  return admitTenant(tenant, `no tenant: mapping ${mapping.name} found none`, options);
}
