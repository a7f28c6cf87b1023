import type { DecodeRejection } from '../events/decode.js';
import type { EventLogProducer } from '../ports/event-log.js';

export interface DeadLetterSink {
  send(rejections: DecodeRejection[]): Promise<void>;
}

/**
 * Writes rejected messages to the dead-letter topic: the original bytes (or the one rejected
 * element of an array message), the original headers, and why and where it was rejected.
 */
export function createDeadLetterSink(producer: EventLogProducer, topic: string): DeadLetterSink {
  return {
    async send(rejections) {
      if (rejections.length === 0) return;
      await producer.send(
        topic,
        rejections.map(({ record, value, reason, step, index, mapping }) => ({
          key: record.key,
          value,
          headers: {
            ...record.headers,
            'dlq-reason': reason,
            'dlq-step': step,
            'dlq-source': `${record.topic}:${record.partition}:${record.offset}`,
            ...(index === undefined ? {} : { 'dlq-index': String(index) }),
            ...(mapping === undefined ? {} : { 'dlq-mapping': mapping }),
          },
        })),
      );
    },
  };
}
