// Several ingest topics written straight by producers (API.md, "Events straight into Kafka"): the
// fold reads every topic of INGEST_TOPICS, takes the tenant from the message's `tenant` header or
// the event's own field, and gives every event its topic as the dimension `topic`, which live
// windows and history then filter and group by, read through the public API.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { startTestStack, type TestStack } from '../support/app.js';
import { tenantKeys } from '../support/generator.js';
import { freshTopic, testKafka, waitFor } from '../support/services.js';

const HOUR = 3_600_000;
const now = Date.now();
/** History is the run's one ClickHouse database, shared with other tests: a name of our own. */
const EVENT = `signup_${randomBytes(4).toString('hex')}`;
const iso = (ms: number) => new Date(ms).toISOString();

let stack: TestStack;
let producer: Producer;
let activity: string;
let transactions: string;

interface Reply {
  data?: {
    live?: { group: string | null; value: number | null }[];
    history?: { group: string | null; points: { value: number | null }[] }[];
  };
  errors?: unknown;
}

async function ask(query: string): Promise<Reply> {
  const response = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer key-acme' },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as Reply;
}

const byGroup = (rows: { group: string | null; value: number | null }[] = []) =>
  Object.fromEntries(rows.map((row) => [row.group, row.value]));

beforeAll(async () => {
  activity = await freshTopic('user_activity', 2);
  transactions = await freshTopic('transaction_events', 2);
  stack = await startTestStack('real', {
    API_KEYS: tenantKeys(),
    INGEST_TOPICS: `${activity},${transactions}`,
  });
  producer = testKafka('ingest-topics').producer();
  await producer.connect();
});
afterAll(async () => {
  await producer?.disconnect();
  await stack?.stop();
});

describe('events straight into several ingest topics', () => {
  it('folds every topic, tenants from header or field, the topic as a dimension', async () => {
    const signup = (i: number, extra: Record<string, unknown> = {}) => ({
      name: EVENT,
      timestamp: iso(now - 30_000 + i),
      userId: `u${i}`,
      ...extra,
    });
    // One event per message, the tenant in the header.
    await producer.send({
      topic: activity,
      messages: [0, 1, 2].map((i) => ({
        headers: { tenant: 'acme' },
        value: JSON.stringify(signup(i)),
      })),
    });
    // A JSON array in one message, the tenant in each event; beta's own events beside acme's.
    await producer.send({
      topic: transactions,
      messages: [
        {
          value: JSON.stringify([
            ...[3, 4, 5, 6, 7].map((i) => signup(i, { tenant: 'acme' })),
            ...[8, 9].map((i) => signup(i, { tenant: 'beta' })),
          ]),
        },
      ],
    });

    const live = await waitFor(
      async () => {
        const reply = await ask(
          `{ live(metric: { event: "${EVENT}", groupBy: "topic" }, window: "1h") { group value } }`,
        );
        const counts = byGroup(reply.data?.live);
        return counts[activity] === 3 && counts[transactions] === 5 ? counts : undefined;
      },
      { timeout: 30_000, message: 'both topics in the live windows' },
    );
    expect(live).toEqual({ [activity]: 3, [transactions]: 5 });

    const filtered = await ask(
      `{ live(metric: { event: "${EVENT}", filter: [{ key: "topic", equals: "${transactions}" }] }, window: "1h") { group value } }`,
    );
    expect(byGroup(filtered.data?.live)).toEqual({ null: 5 });

    const from = iso(Math.floor((now - HOUR) / HOUR) * HOUR);
    const history = await waitFor(
      async () => {
        const reply = await ask(
          `{ history(metric: { event: "${EVENT}", groupBy: "topic" }, from: "${from}", to: "${iso(now + HOUR)}", interval: "1d") { group points { value } } }`,
        );
        const totals = Object.fromEntries(
          (reply.data?.history ?? []).map((s) => [
            s.group,
            s.points.reduce((sum, p) => sum + (p.value ?? 0), 0),
          ]),
        );
        return totals[activity] === 3 && totals[transactions] === 5 ? totals : undefined;
      },
      { timeout: 30_000, message: 'both topics in history' },
    );
    expect(history).toEqual({ [activity]: 3, [transactions]: 5 });
  });
});
