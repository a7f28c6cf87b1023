import { summariseLogLines } from '../support/log-lines.js';
import { createPipelineBench, type ThroughputRun } from '../support/pipeline-bench.js';
import { repeat, type Scenario } from './scenario.js';

const perSecond = (n: number, seconds: number) => n / seconds;
const micros = (cpuSeconds: number, n: number) => (cpuSeconds * 1e6) / n;
const MiB = (bytes: number) => bytes / 1024 / 1024;

/** The Redis commands a fold ran per event, and Redis's own time in them: where its time goes. */
function redisPerEvent(run: ThroughputRun): string {
  return [...run.fold.engines.redisCalls]
    .sort((a, b) => b[1].usec - a[1].usec)
    .slice(0, 4)
    .map(
      ([name, c]) =>
        `${name} ${(c.calls / run.events).toPrecision(2)} calls, ${(c.usec / run.events).toFixed(1)} µs`,
    )
    .join('; ');
}

export const foldThroughput: Scenario = {
  id: '1',
  key: 'fold',
  title: 'Fold throughput: Kafka → Redis live windows + ClickHouse history',
  method: (c) =>
    `Each repeat fills a fresh 4-partition topic with ${c.events.toLocaleString('en')} events ` +
    '(~165 B of JSON each), then reads it with raw kafkajs (an eachBatch that does nothing, 1 and 4 ' +
    'partitions at a time, the faster counts: the baseline), then runs the fold (consumers/fold.ts, a ' +
    'child process) on it from its engines being ready until its progress covers every partition, ' +
    'both sinks checked to hold every event. One-event messages, then JSON-array messages of 100-500 ' +
    'events. Warm-up: one fold of a tenth of the events first (not counted).',
  async run(c) {
    const bench = createPipelineBench({ events: c.events, withIds: true, say: c.say });
    const single: ThroughputRun[] = [];
    const batched: ThroughputRun[] = [];
    try {
      await bench.setUp();
      c.say('fold warm-up');
      await bench.throughput('single', Math.max(5_000, Math.round(c.events / 10)));
      await repeat(c, 'fold throughput', async () => {
        single.push(await bench.throughput('single'));
        batched.push(await bench.throughput('batched'));
      });
    } finally {
      await bench.close(c.keep);
    }
    const average = batched[0]!.events / batched[0]!.messages;
    return {
      figures: [
        {
          measure: 'one-event messages: start → both sinks hold all',
          unit: 'events/s',
          values: single.map((r) => perSecond(r.events, r.fold.seconds)),
          baseline: {
            label: 'raw kafkajs consume',
            values: single.map((r) => perSecond(r.messages, r.raw.fromStartSeconds)),
          },
          target: { kind: 'ratio-at-least', value: 0.7, text: '≥ 0.7× raw kafkajs' },
          bar: 'fold, one-event messages',
        },
        {
          measure: '  same, steady: after the first batch',
          unit: 'events/s',
          values: single.map((r) => r.fold.steadyRecordsPerSecond),
          baseline: {
            label: 'raw, steady',
            values: single.map((r) => r.raw.steadyRecordsPerSecond),
          },
        },
        {
          measure: '  fold CPU per event',
          unit: 'µs',
          values: single.map((r) => micros(r.fold.cpuSeconds, r.events)),
          baseline: {
            label: 'raw kafkajs per record',
            values: single.map((r) => micros(r.raw.cpuSeconds, r.messages)),
          },
        },
        {
          measure: `array messages (${Math.round(average)} events each on average): start → both sinks`,
          unit: 'events/s',
          values: batched.map((r) => perSecond(r.events, r.fold.seconds)),
          baseline: {
            label: 'raw kafkajs consume, events in the arrays',
            values: batched.map((r) => perSecond(r.events, r.raw.fromStartSeconds)),
          },
          target: { kind: 'at-least', value: 200_000, text: '≥ 200,000 events/s' },
          bar: 'fold, array messages',
        },
        {
          measure: '  fold CPU per event',
          unit: 'µs',
          values: batched.map((r) => micros(r.fold.cpuSeconds, r.events)),
        },
        ...(
          [
            ['one-event', single],
            ['array', batched],
          ] as const
        ).map(([kind, runs]) => ({
          measure: `fold RSS peak, ${kind} messages`,
          unit: 'MiB' as const,
          values: runs.map((r) => MiB(r.fold.peakRssBytes)),
          baseline: { label: 'fold idle', values: runs.map((r) => MiB(r.fold.idleRssBytes)) },
        })),
      ],
      notes: [
        `Load average (1 min) before → after each fold: ${[...single, ...batched]
          .map((r) => r.fold.loads.join(' → '))
          .join('; ')}.`,
        `Engine CPU per one-event fold (Kafka / ClickHouse / Redis, CPU-s): ${single
          .map((r) =>
            [r.fold.engines.kafka, r.fold.engines.clickhouse, r.fold.engines.redis]
              .map((s) => s.toFixed(1))
              .join(' / '),
          )
          .join('; ')}. Profile the fold with \`npm run bench:pipeline -- --profile DIR\`.`,
        `Redis (INFO commandstats, server-wide) per one-event fold event, the costliest: ${redisPerEvent(single[0]!)}.`,
        ...summariseLogLines([...single, ...batched].flatMap((r) => r.fold.problems)).map(
          (line) => `The fold logged: ${line}`,
        ),
      ],
    };
  },
};
