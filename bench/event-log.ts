// Event-log throughput: raw kafkajs consumption (eachBatch doing nothing) against the Kafka adapter's
// consumer with a no-op onBatch over the same topic, and the embedded log's append and consume.
// The raw rate is the baseline the pipeline's target refers to.
//   npx tsx bench/event-log.ts     (KAFKA_BROKERS default 127.0.0.1:19092, MESSAGES default 500000,
//                                   ROUNDS default 2: the best round of each is reported)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { createEmbeddedEventLog } from '../src/adapters/embedded-log/event-log.js';
import { createKafkaEventLog } from '../src/adapters/kafka/event-log.js';
import { fixIdleRequestLoop } from '../src/adapters/kafka/request-queue-fix.js';
import type { ConsumerHandlers, EventLog, LogMessage } from '../src/ports/event-log.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const MESSAGES = Number(process.env.MESSAGES ?? 500_000);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const PARTITIONS = 4;
const SEND_CHUNK = 10_000;
const run = Date.now().toString(36);
const silent = pino({ level: 'silent' });

function makeMessages(): LogMessage[] {
  const start = Date.now() - 3_600_000;
  return Array.from({ length: MESSAGES }, (_, i) => {
    const userId = `user-${(i * 7919) % 50_000}`;
    const event = {
      id: `evt-${run}-${i.toString(36).padStart(8, '0')}`,
      name: 'page_view',
      timestamp: start + i,
      userId,
      value: (i % 1000) / 10,
      dimensions: { country: `c${i % 20}`, device: ['mobile', 'desktop', 'tablet'][i % 3] },
    };
    return {
      key: userId,
      value: Buffer.from(`[${JSON.stringify(event)}]`),
      headers: { tenant: 'bench' },
    };
  });
}

interface Row {
  what: string;
  rate: number;
  cpuMicrosPerRecord: number;
}
const rows: Row[] = [];
const rate = (seconds: number) => MESSAGES / seconds;

async function timeSends(
  log: EventLog,
  topic: string,
  messages: LogMessage[],
  chunk: number,
): Promise<Measured> {
  const producer = log.producer();
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < messages.length; i += chunk)
    await producer.send(topic, messages.slice(i, i + chunk));
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  await producer.close();
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

interface Measured {
  seconds: number;
  /** This process's CPU time (user + system) over the same span. */
  cpuSeconds: number;
}

/** From the first batch to the last record: group joins are not part of the rate. */
function counter() {
  let count = 0;
  let wall = 0;
  let cpu = process.cpuUsage();
  let finish!: (measured: Measured) => void;
  const done = new Promise<Measured>((resolve) => (finish = resolve));
  return {
    done,
    add(n: number) {
      if (count === 0) {
        wall = performance.now();
        cpu = process.cpuUsage();
      }
      count += n;
      if (count >= MESSAGES) {
        const used = process.cpuUsage(cpu);
        finish({
          seconds: (performance.now() - wall) / 1000,
          cpuSeconds: (used.user + used.system) / 1e6,
        });
      }
    },
  };
}

async function rawKafkajs(topic: string, concurrency: number): Promise<Measured> {
  fixIdleRequestLoop(); // the adapter's kafkajs, whichever path runs first
  const kafka = new Kafka({ clientId: 'bench-raw', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench.${run}.raw.${Math.random()}` });
  const seen = counter();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: concurrency,
    eachBatch: async ({ batch }) => seen.add(batch.messages.length),
  });
  const measured = await seen.done;
  await consumer.disconnect();
  return measured;
}

const noop = (add: (n: number) => void): ConsumerHandlers => ({
  onAssigned: async () => new Map(),
  onRevoked: async () => {},
  onBatch: async (batch) => add(batch.records.length),
});

async function adapterConsume(log: EventLog, topic: string): Promise<Measured> {
  const consumer = log.consumer({
    groupId: `bench.${run}.adapter.${Math.random()}`,
    topics: [topic],
  });
  const seen = counter();
  await consumer.start(noop(seen.add));
  const measured = await seen.done;
  await consumer.stop();
  return measured;
}

async function measure(what: string, run: () => Promise<Measured>) {
  const { seconds, cpuSeconds } = await run();
  const row = { what, rate: rate(seconds), cpuMicrosPerRecord: (cpuSeconds * 1e6) / MESSAGES };
  rows.push(row);
  console.error(
    `  ${what}: ${Math.round(row.rate).toLocaleString('en')} records/s, ${row.cpuMicrosPerRecord.toFixed(2)} µs CPU/record`,
  );
}

const RAW_1 = 'raw kafkajs, eachBatch no-op, 1 partition at a time';
const RAW_4 = 'raw kafkajs, eachBatch no-op, 4 partitions at a time';
const ADAPTER_1 = 'kafka adapter, onBatch no-op, 1 partition at a time';
const ADAPTER_4 = 'kafka adapter, onBatch no-op, 4 partitions at a time (default)';

async function kafkaRounds(messages: LogMessage[]) {
  const topic = `bench.event-log.${run}`;
  const logs = [1, 4].map((concurrency) =>
    createKafkaEventLog({
      brokers: BROKERS,
      clientId: `bench-${concurrency}`,
      logger: silent,
      partitionsConsumedConcurrently: concurrency,
    }),
  );
  const [log1, log4] = logs as [EventLog, EventLog];
  await log4.ensureTopics([topic], PARTITIONS);
  await measure('kafka adapter send (10k per call)', () =>
    timeSends(log4, topic, messages, SEND_CHUNK),
  );
  // Interleaved, so a busy moment of the machine does not favour one side.
  for (let round = 0; round < ROUNDS; round++) {
    await measure(RAW_1, () => rawKafkajs(topic, 1));
    await measure(ADAPTER_1, () => adapterConsume(log1, topic));
    await measure(RAW_4, () => rawKafkajs(topic, 4));
    await measure(ADAPTER_4, () => adapterConsume(log4, topic));
  }
  await Promise.all(logs.map((log) => log.close()));

  const admin = new Kafka({
    clientId: 'bench-admin',
    brokers: BROKERS,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] });
  const groups = (await admin.listGroups()).groups
    .map((g) => g.groupId)
    .filter((g) => g.startsWith(`bench.${run}.`));
  await admin.deleteGroups(groups).catch(() => undefined);
  await admin.disconnect();
}

async function embeddedRounds(messages: LogMessage[]) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-event-log-'));
  try {
    for (const chunk of [1000, SEND_CHUNK]) {
      const log = createEmbeddedEventLog({
        dir: join(dir, String(chunk)),
        partitions: PARTITIONS,
        logger: silent,
      });
      await measure(`embedded send (${chunk} per call, fsync'd)`, () =>
        timeSends(log, 'events', messages, chunk),
      );
      await log.close();
    }
    const log = createEmbeddedEventLog({ dir: join(dir, String(SEND_CHUNK)), logger: silent });
    for (let round = 0; round < ROUNDS; round++)
      await measure('embedded consume, onBatch no-op', () => adapterConsume(log, 'events'));
    await log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main() {
  const messages = makeMessages();
  const bytes = messages.reduce((sum, m) => sum + m.value.length, 0) / MESSAGES;
  console.error(`${MESSAGES} messages, ${bytes.toFixed(0)} B values on average, ${ROUNDS} rounds`);
  await kafkaRounds(messages);
  await embeddedRounds(messages);

  const byWhat = new Map<string, Row[]>();
  for (const row of rows) byWhat.set(row.what, [...(byWhat.get(row.what) ?? []), row]);
  const rates = (what: string) => byWhat.get(what)!.map((r) => r.rate);
  const cpus = (what: string) => byWhat.get(what)!.map((r) => r.cpuMicrosPerRecord);
  const raw = Math.max(median(rates(RAW_1)), median(rates(RAW_4)));
  const baseline: Record<string, string> = { [ADAPTER_1]: RAW_1, [ADAPTER_4]: RAW_4 };
  const fmt = (n: number) => Math.round(n).toLocaleString('en');
  console.log(
    `\n${MESSAGES} records of ~${bytes.toFixed(0)} B, ${ROUNDS} rounds, medians (best)\n` +
      '| what | records/s | vs best raw | µs CPU/record | CPU vs raw at same concurrency |\n' +
      '| --- | ---: | ---: | ---: | ---: |',
  );
  for (const what of byWhat.keys()) {
    const cpu = median(cpus(what));
    const base = baseline[what];
    console.log(
      `| ${what} | ${fmt(median(rates(what)))} (${fmt(Math.max(...rates(what)))}) | ` +
        `${(median(rates(what)) / raw).toFixed(2)} | ${cpu.toFixed(2)} (${Math.min(...cpus(what)).toFixed(2)}) | ` +
        `${base ? (cpu / median(cpus(base))).toFixed(2) : ''} |`,
    );
  }
}

await main();
