// A deterministic event stream with its ground truth: what the fold must end up with.
import type { Aggregate } from '../../src/events/metric.js';
import { hashApiKey } from '../../src/api/auth.js';
import { seededRandom as random } from './random.js';

export { random };

export interface GeneratedEvent {
  id?: string;
  name: string;
  timestamp: number;
  userId: string;
  value?: number;
  dimensions: Record<string, string>;
}

export interface Truth {
  count: number;
  valueCount: number;
  /** Integer micro-units, as the stores keep them. */
  sumMicros: number;
  min: number;
  max: number;
  users: Set<string>;
}

export const TENANTS = ['acme', 'beta'] as const;
export const EVENT_NAMES = ['page_view', 'purchase'] as const;
const COUNTRIES = ['de', 'fr', 'us', 'jp', 'br'];
const PLANS = ['free', 'pro', 'team'];

/** API_KEYS entries for the generator's tenants; the keys are `key-<tenant>`. */
export const tenantKeys = () =>
  TENANTS.map((tenant) => `${hashApiKey(`key-${tenant}`)}:${tenant}`).join(',');

/** The ground truth of an aggregate the stores keep exactly (COUNT, SUM, MIN, MAX). */
export function truthValue(t: Truth, aggregate: Aggregate): number | null {
  switch (aggregate) {
    case 'COUNT':
      return t.count;
    case 'SUM':
      return t.valueCount ? t.sumMicros / 1e6 : null;
    case 'MIN':
      return t.valueCount ? t.min : null;
    case 'MAX':
      return t.valueCount ? t.max : null;
    default:
      throw new Error(`no ground truth for ${aggregate}`);
  }
}

export const truthKey = (tenant: string, name: string, group = '') => `${tenant}|${name}|${group}`;

/**
 * `count` events for each tenant over [startMs, endMs). Every 50th event repeats the id of an
 * earlier one (a client retry): it must count once.
 */
export function generate(options: { count: number; startMs: number; endMs: number; seed: number }) {
  const next = random(options.seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const byTenant = new Map<string, GeneratedEvent[]>();
  const truth = new Map<string, Truth>();
  const add = (key: string, event: GeneratedEvent) => {
    let t = truth.get(key);
    if (!t)
      truth.set(
        key,
        (t = {
          count: 0,
          valueCount: 0,
          sumMicros: 0,
          min: Infinity,
          max: -Infinity,
          users: new Set(),
        }),
      );
    t.count++;
    t.users.add(event.userId);
    if (event.value !== undefined) {
      t.valueCount++;
      t.sumMicros += Math.round(event.value * 1e6);
      t.min = Math.min(t.min, event.value);
      t.max = Math.max(t.max, event.value);
    }
  };
  for (const tenant of TENANTS) {
    const events: GeneratedEvent[] = [];
    for (let i = 0; i < options.count; i++) {
      if (i % 50 === 49) {
        events.push({ ...events[i - 10]! });
        continue;
      }
      const name = pick(EVENT_NAMES);
      const event: GeneratedEvent = {
        id: `${tenant}-${i}`,
        name,
        timestamp: Math.floor(options.startMs + next() * (options.endMs - options.startMs)),
        userId: `u${Math.floor(next() * 500)}`,
        dimensions: { country: pick(COUNTRIES), plan: pick(PLANS) },
      };
      if (name === 'purchase') event.value = Math.round(next() * 100_000) / 100;
      events.push(event);
      add(truthKey(tenant, name), event);
      add(truthKey(tenant, name, event.dimensions.country!), event);
    }
    byTenant.set(tenant, events);
  }
  return { byTenant, truth };
}

/**
 * The smallest interval (a power-of-two number of days) whose one epoch-aligned bucket holds all
 * of [fromMs, toMs): reads a whole range through `history` as a single value.
 */
export function singleBucket(
  fromMs: number,
  toMs: number,
): { fromMs: number; toMs: number; intervalMs: number } {
  for (let intervalMs = 86_400_000; ; intervalMs *= 2) {
    const start = Math.floor(fromMs / intervalMs) * intervalMs;
    if (toMs <= start + intervalMs) return { fromMs: start, toMs: start + intervalMs, intervalMs };
  }
}
