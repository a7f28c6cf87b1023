import type { LogRecord } from '../ports/event-log.js';
import type { PositionedEvent } from './event.js';
import { validateEvent, type EventLimits } from './validate.js';

/** A message, or one element of a message's array, that cannot become an event. */
export interface DecodeRejection {
  record: LogRecord;
  /** The rejected bytes: the whole message, or the one array element. */
  value: Buffer;
  reason: string;
  step: 'parse' | 'validate' | 'tenant';
  /** Position inside a JSON-array message. */
  index?: number;
}

export interface DecodeOptions {
  limits: EventLimits;
  maxMessageBytes: number;
  /** Tenant used when a message names none (development mode), or null to reject such messages. */
  defaultTenant: string | null;
  isKnownTenant: (tenant: string) => boolean;
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
  const events: PositionedEvent[] = [];
  const idGiven: boolean[] = [];
  const rejections: DecodeRejection[] = [];
  for (const record of records) {
    const reject = (
      reason: string,
      step: DecodeRejection['step'],
      value = record.value,
      index?: number,
    ) =>
      rejections.push({ record, value, reason, step, ...(index === undefined ? {} : { index }) });
    if (record.value.length > options.maxMessageBytes) {
      reject(
        `message is ${record.value.length} bytes, more than the limit of ${options.maxMessageBytes}`,
        'parse',
      );
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(record.value.toString('utf8'));
    } catch (error) {
      reject(`not JSON: ${(error as Error).message}`, 'parse');
      continue;
    }
    const items = Array.isArray(parsed) ? parsed : [parsed];
    const single = !Array.isArray(parsed);
    items.forEach((item, index) => {
      const itemValue = () => (single ? record.value : Buffer.from(JSON.stringify(item)));
      const rejectItem = (reason: string, step: DecodeRejection['step']) =>
        reject(reason, step, itemValue(), single ? undefined : index);
      const tenant = tenantOf(record, item, options);
      if (typeof tenant !== 'string') return rejectItem(tenant.reason, 'tenant');
      const validation = validateEvent(item, {
        tenant,
        receivedAt: record.timestamp,
        fallbackId: () => `${record.topic}:${record.partition}:${record.offset}:${index}`,
        limits: options.limits,
        extraFields: TENANT_FIELD,
      });
      if (!validation.ok) return rejectItem(validation.reason, 'validate');
      const { event } = validation;
      if (event.dimensions.topic === undefined) event.dimensions.topic = record.topic;
      events.push({
        ...event,
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
      });
      idGiven.push(
        typeof item === 'object' && item !== null && (item as { id?: unknown }).id != null,
      );
    });
  }
  return { events, idGiven, rejections };
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
  const tenant = fromHeader ?? field ?? options.defaultTenant;
  if (tenant === null) return { reason: 'no tenant: set the tenant header or field' };
  if (!options.isKnownTenant(tenant))
    return { reason: `unknown tenant ${JSON.stringify(tenant.slice(0, 64))}` };
  return tenant;
}
