import type { IngestResult, Ingestor, RejectedEvent } from '../app/services.js';
import type { AnalyticsEvent } from '../events/event.js';
import { validateEvent, type EventLimits } from '../events/validate.js';
import type { EventLogProducer, LogMessage } from '../ports/event-log.js';

export interface IngestorOptions {
  producer: EventLogProducer;
  topic: string;
  limits: EventLimits;
  maxBatch: number;
  /** Messages are kept under this size; a user's events may span several messages. */
  maxMessageBytes: number;
  clock?: () => number;
}

export class BatchTooLargeError extends Error {
  override name = 'BatchTooLargeError';
}

/** Marks events that came without an id: the fold derives one from their log position. */
const NO_ID = '';

/**
 * Validates a batch from the ingest mutation and writes the valid events to the log before
 * resolving. Events are packed into JSON-array messages keyed by user, so one user's events
 * stay in order in one partition and the per-message cost is paid once per user, not per event.
 */
export function createIngestor(options: IngestorOptions): Ingestor {
  const clock = options.clock ?? Date.now;
  return {
    async ingest(tenant: string, inputs: unknown[]): Promise<IngestResult> {
      if (inputs.length > options.maxBatch)
        throw new BatchTooLargeError(
          `a batch holds at most ${options.maxBatch} events, got ${inputs.length}`,
        );
      const receivedAt = clock();
      const rejected: RejectedEvent[] = [];
      const byKey = new Map<string, AnalyticsEvent[]>();
      inputs.forEach((input, index) => {
        const result = validateEvent(input, {
          tenant,
          receivedAt,
          fallbackId: () => NO_ID,
          limits: options.limits,
        });
        if (!result.ok) return rejected.push({ index, reason: result.reason });
        const key = result.event.userId ?? (result.event.id || `anonymous-${index % 64}`);
        const group = byKey.get(key);
        if (group) group.push(result.event);
        else byKey.set(key, [result.event]);
      });
      const messages: LogMessage[] = [];
      for (const [key, events] of byKey)
        messages.push(...pack(key, tenant, events, options.maxMessageBytes));
      if (messages.length > 0) await options.producer.send(options.topic, messages);
      return { accepted: inputs.length - rejected.length, rejected };
    },
  };
}

/** The wire form of an event in the log, the same JSON producers may write directly. */
const toWire = (event: AnalyticsEvent) => ({
  ...(event.id === NO_ID ? {} : { id: event.id }),
  name: event.name,
  timestamp: event.timestamp,
  ...(event.userId === null ? {} : { userId: event.userId }),
  ...(event.value === null ? {} : { value: event.value }),
  dimensions: event.dimensions,
});

function pack(
  key: string,
  tenant: string,
  events: AnalyticsEvent[],
  maxBytes: number,
): LogMessage[] {
  const messages: LogMessage[] = [];
  let parts: string[] = [];
  let size = 2;
  const flush = () => {
    if (parts.length === 0) return;
    messages.push({ key, value: Buffer.from(`[${parts.join(',')}]`), headers: { tenant } });
    parts = [];
    size = 2;
  };
  for (const event of events) {
    const json = JSON.stringify(toWire(event));
    const bytes = Buffer.byteLength(json) + 1;
    if (size + bytes > maxBytes) flush();
    parts.push(json);
    size += bytes;
  }
  flush();
  return messages;
}
