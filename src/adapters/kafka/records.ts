import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { LogRecord } from '../../ports/event-log.js';

const EMPTY = Buffer.alloc(0);

/** kafkajs gives int64s as decimal strings; Number() of a 13-digit one costs twice this loop. */
function parseMillis(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number(text);
    n = n * 10 + digit;
  }
  return n;
}

function toHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    // kafkajs gathers a repeated header name into an array: the last one wins, as in a map.
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[name] = last.toString();
  }
  return out;
}

/** One fetched partition batch as the port's records (kafkajs hands them in offset order). */
export const toLogRecords = (
  topic: string,
  partition: number,
  messages: KafkaMessage[],
): LogRecord[] =>
  messages.map((m) => ({
    topic,
    partition,
    offset: Number(m.offset),
    timestamp: parseMillis(m.timestamp),
    key: m.key === null ? null : m.key.toString(),
    value: m.value ?? EMPTY,
    headers: toHeaders(m.headers),
  }));
