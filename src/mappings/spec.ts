import { z } from 'zod';

/** How a mapped timestamp field is written. */
export const TIMESTAMP_FORMATS = ['EPOCH_SECONDS', 'EPOCH_MILLIS', 'ISO8601'] as const;
export type TimestampFormat = (typeof TIMESTAMP_FORMATS)[number];

const text = (max: number) => z.string().min(1).max(max);

/**
 * How the messages of one topic become events: the same JSON in the mappings file and in the
 * admin mutation. Paths are field paths (src/mappings/path.ts); a value that starts with `$` in
 * `eventName` and `tenant` is a path, anything else a constant.
 */
export const topicMappingSpec = z
  .object({
    /** Names the mapping in dead letters and in the admin API: unique per tenant. */
    name: text(64),
    topic: text(249),
    /** A constant event name, or a path to it (`$.event_type`). */
    eventName: text(256),
    /** Put before a name read from a path: `shop.` + `purchase`. */
    eventNamePrefix: z.string().max(64).optional(),
    /** Absent: the Kafka record's timestamp. */
    timestamp: z
      .object({ path: text(256), format: z.enum(TIMESTAMP_FORMATS) })
      .strict()
      .optional(),
    /** Absent: a stable hash of the mapping, topic, partition and offset, so replays still dedup. */
    id: text(256).optional(),
    userId: text(256).optional(),
    /** A number, or a string holding one (`"12.50"`). */
    value: text(256).optional(),
    dimensions: z
      .array(z.object({ name: text(64), path: text(256) }).strict())
      .max(64)
      .default([]),
    /**
     * A constant, `header:<name>`, or a path. Absent: the `tenant` header (the default tenant
     * without API keys). Mappings set through the admin API always belong to the caller's tenant.
     */
    tenant: text(256).optional(),
    /** Only messages where every condition holds become events; the others are skipped. */
    filter: z
      .array(
        z
          .object({
            path: text(256),
            equals: z.string().max(256).optional(),
            in: z.array(z.string().max(256)).min(1).max(100).optional(),
          })
          .strict(),
      )
      .max(16)
      .default([]),
  })
  .strict();

export type TopicMappingSpec = z.infer<typeof topicMappingSpec>;

/** A mapping as stored: the spec and the tenant that owns it (the admin API's caller). */
export interface StoredMapping {
  owner: string;
  spec: TopicMappingSpec;
  updatedAt: number;
}
