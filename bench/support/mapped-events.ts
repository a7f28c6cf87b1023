// The bench events in a foreign shape, as a producer we do not control would write them, and the
// topic mapping that reads them back into the same events (scenario 7: mapped vs native).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopicMappingSpec } from '../../src/mappings/spec.js';
import type { LogMessage } from '../../src/ports/event-log.js';
import { TENANT, type GeneratedEvent } from './events.js';

interface NativeShape {
  id?: string;
  name: string;
  timestamp: number;
  userId: string;
  value: number;
  dimensions: { country: string; device: string; plan: string };
}

/** Nested user and attributes, the type in `kind`, epoch-ms `at`, a string amount. */
export function foreignMessage(event: GeneratedEvent): LogMessage {
  const e = JSON.parse(event.json) as NativeShape;
  const foreign = {
    kind: e.name,
    at: e.timestamp,
    ...(e.id === undefined ? {} : { ref: e.id }),
    user: { id: e.userId, device: { type: e.dimensions.device } },
    amount: e.value.toFixed(2),
    attrs: { country: e.dimensions.country, plans: [e.dimensions.plan] },
  };
  return { key: event.userId, value: Buffer.from(JSON.stringify(foreign)), headers: {} };
}

export function foreignMapping(topic: string, withIds: boolean): TopicMappingSpec {
  return {
    name: 'bench',
    topic,
    eventName: '$.kind',
    timestamp: { path: '$.at', format: 'EPOCH_MILLIS' },
    ...(withIds ? { id: '$.ref' } : {}),
    userId: '$.user.id',
    value: '$.amount',
    dimensions: [
      { name: 'country', path: '$.attrs.country' },
      { name: 'device', path: '$.user.device.type' },
      { name: 'plan', path: '$.attrs.plans[0]' },
    ],
    tenant: TENANT,
    filter: [],
  };
}

/** Writes the mappings file a fold process reads at start (TOPIC_MAPPINGS_FILE). */
export function writeMappingsFile(dir: string, mapping: TopicMappingSpec): string {
  const file = join(dir, `mappings-${mapping.topic}.json`);
  writeFileSync(file, JSON.stringify({ mappings: [mapping] }));
  return file;
}
