import type { AnalyticsEvent } from '../events/event.js';
import { decodeRecords, type DecodeOptions } from '../events/decode.js';
import type { LogRecord } from '../ports/event-log.js';
import type { CompiledMapping } from './compile.js';

/** What one sample message would become under a mapping. */
export interface DryRunMessage {
  index: number;
  events: AnalyticsEvent[];
  /** Why the message, or an element of an array message, would go to the dead-letter topic. */
  rejections: string[];
  /** True when the mapping's filter leaves the message out. */
  skipped: boolean;
}

/**
 * Runs sample messages through the fold's own decoding, as records of the mapping's topic
 * received now, so a mapping can be checked before it meets a live topic.
 */
export function dryRunMapping(
  mapping: CompiledMapping,
  messages: readonly string[],
  options: Omit<DecodeOptions, 'mappingsFor'>,
  now: number,
): DryRunMessage[] {
  const records: LogRecord[] = messages.map((message, offset) => ({
    topic: mapping.topic,
    partition: 0,
    offset,
    timestamp: now,
    key: null,
    headers: {},
    value: Buffer.from(message, 'utf8'),
  }));
  const decoded = decodeRecords(records, { ...options, mappingsFor: () => [mapping] });
  const results: DryRunMessage[] = messages.map((_, index) => ({
    index,
    events: [],
    rejections: [],
    skipped: false,
  }));
  for (const { topic: _topic, partition: _partition, offset, ...event } of decoded.events)
    results[offset]!.events.push(event);
  for (const rejection of decoded.rejections) {
    const at = rejection.index === undefined ? '' : `[${rejection.index}] `;
    results[rejection.record.offset]!.rejections.push(`${at}${rejection.reason}`);
  }
  for (const result of results)
    result.skipped = result.events.length === 0 && result.rejections.length === 0;
  return results;
}
