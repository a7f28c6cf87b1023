import type { LogMessage } from '../../src/ports/event-log.js';

export const TENANT = 'default';
/** Event names with their weights: page views dominate, as on a real site. */
export const EVENT_NAMES = [
  'page_view',
  'page_view',
  'page_view',
  'page_view',
  'click',
  'click',
  'purchase',
  'signup',
];
const COUNTRIES = [
  'US',
  'DE',
  'FR',
  'GB',
  'IN',
  'BR',
  'JP',
  'CA',
  'AU',
  'ES',
  'IT',
  'NL',
  'SE',
  'PL',
  'MX',
  'KR',
  'CH',
  'AT',
  'BE',
  'IE',
];
const DEVICES = ['mobile', 'desktop', 'tablet'];
const PLANS = ['free', 'starter', 'pro', 'enterprise'];
const USERS = 50_000;

/** A well-spread 32-bit hash of i: the generated data is the same for the same i. */
const mix = (i: number) => {
  let h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
};

export interface GeneratedEvent {
  name: string;
  userId: string;
  /** The event's JSON as a producer writes it. */
  json: string;
}

/**
 * The i-th event of a run: an id (unless withId is false: the fold then derives one from the
 * event's log position and has no repeats to look for), one of EVENT_NAMES, a timestamp in epoch ms, a userId among
 * 50 000, a value, and three dimensions (country, device, plan). About 165 bytes of JSON.
 */
export function generateEvent(
  run: string,
  i: number,
  timestampMs: number,
  withId = true,
): GeneratedEvent {
  const h = mix(i);
  const name = EVENT_NAMES[h % EVENT_NAMES.length]!;
  const userId = `user-${(h >>> 3) % USERS}`;
  const event = {
    ...(withId ? { id: `${run}-${i.toString(36)}` } : {}),
    name,
    timestamp: timestampMs,
    userId,
    value: ((h >>> 7) % 100_000) / 100,
    dimensions: {
      country: COUNTRIES[(h >>> 11) % COUNTRIES.length]!,
      device: DEVICES[(h >>> 17) % DEVICES.length]!,
      plan: PLANS[(h >>> 21) % PLANS.length]!,
    },
  };
  return { name, userId, json: JSON.stringify(event) };
}

/** One event per message, keyed by user, tenant in the header (as the ingestor writes them). */
export function singleEventMessage(event: GeneratedEvent): LogMessage {
  return { key: event.userId, value: Buffer.from(event.json), headers: { tenant: TENANT } };
}

/** A JSON array of events in one message, keyed by its first event's user. */
export function arrayMessage(events: GeneratedEvent[]): LogMessage {
  return {
    key: events[0]!.userId,
    value: Buffer.from(`[${events.map((e) => e.json).join(',')}]`),
    headers: { tenant: TENANT },
  };
}
