import type { Figure } from '../report/model.js';
import { repeat, type Scenario } from './scenario.js';

/** PeerResult of bench/peers/index.ts, the part the report reads. */
interface PeerResult {
  system: string;
  events: number;
  eventsPerSecond: number | null;
  windowLatencyMs: { p50: number; p99: number } | null;
  countsMatch: boolean | null;
  note?: string;
}

type RunPeers = (options: {
  events: number;
  quick: boolean;
  log: (line: string) => void;
}) => Promise<PeerResult[]>;

const SERVICE = 'pulsegraph';
const SPARK = 'spark-structured-streaming';
const CLICKHOUSE = 'clickhouse-kafka-engine';
const LABELS: Record<string, string> = {
  [SPARK]: 'Kafka + Spark Structured Streaming → Redis',
  [CLICKHOUSE]: 'ClickHouse Kafka engine + MV → AggregatingMergeTree',
};

/** bench/peers is built apart from the harness: loaded when the scenario runs, not before. */
async function loadRunPeers(): Promise<RunPeers | string> {
  try {
    const module = (await import('../peers/index.js')) as { runPeers?: RunPeers };
    return module.runPeers ?? 'bench/peers/index.ts exports no runPeers';
  } catch (error) {
    return `bench/peers/index.ts does not load: ${(error as Error).message.split('\n')[0]}`;
  }
}

const valuesOf = (runs: PeerResult[][], system: string, pick: (r: PeerResult) => number | null) =>
  runs.flatMap((results) => {
    const value = results.find((r) => r.system === system);
    const picked = value ? pick(value) : null;
    return picked === null ? [] : [picked];
  });

export const peers: Scenario = {
  id: '6',
  key: 'peers',
  title: 'Peers doing the same job: ClickHouse alone and Kafka + Spark Structured Streaming',
  method: (c) =>
    `bench/peers (runPeers): the same ${c.peerEvents.toLocaleString('en')} events and windows (count, sum and uniques ` +
    'per event name and per dimension value, 1-minute tumbling windows, plus a 10-second window for latency) ' +
    "through this service, ClickHouse's Kafka table engine feeding a materialized view into an " +
    'AggregatingMergeTree, and a Spark Structured Streaming job (local mode) writing its windows to Redis. ' +
    'Sustained events/s over a filled topic, window close → final result visible p50/p99, and whether each ' +
    "system's counts equal the ground truth. Each peer warms up inside runPeers; quick mode runs them once.",
  async run(c) {
    const runPeers = await loadRunPeers();
    if (typeof runPeers === 'string') return { figures: [], notes: [], unavailable: runPeers };
    // Spark's start-up alone takes most of a minute: quick mode runs the peers once.
    const runs = await repeat({ ...c, repeats: c.quick ? 1 : c.repeats }, 'peers', () =>
      runPeers({ events: c.peerEvents, quick: c.quick, log: c.say }),
    );
    const figures: Figure[] = [];
    for (const peer of [SPARK, CLICKHOUSE]) {
      const isSpark = peer === SPARK;
      figures.push(
        {
          measure: `sustained throughput against ${LABELS[peer]}`,
          unit: 'events/s',
          values: valuesOf(runs, SERVICE, (r) => r.eventsPerSecond),
          baseline: { label: peer, values: valuesOf(runs, peer, (r) => r.eventsPerSecond) },
          ...(isSpark
            ? { target: { kind: 'ratio-at-least', value: 2, text: '≥ 2× Spark' } as const }
            : {}),
          bar: `peers: against ${isSpark ? 'Spark' : 'ClickHouse alone'}`,
        },
        {
          measure: '  window close → result visible, p50',
          unit: 'ms',
          values: valuesOf(runs, SERVICE, (r) => r.windowLatencyMs?.p50 ?? null),
          baseline: {
            label: peer,
            values: valuesOf(runs, peer, (r) => r.windowLatencyMs?.p50 ?? null),
          },
        },
        {
          measure: '  window close → result visible, p99',
          unit: 'ms',
          values: valuesOf(runs, SERVICE, (r) => r.windowLatencyMs?.p99 ?? null),
          baseline: {
            label: peer,
            values: valuesOf(runs, peer, (r) => r.windowLatencyMs?.p99 ?? null),
          },
          ...(isSpark
            ? {
                target: {
                  kind: 'times-faster',
                  value: 10,
                  text: '≥ 10× lower than Spark',
                } as const,
              }
            : {}),
        },
      );
    }
    const notes = runs.flatMap((results, i) =>
      results.map(
        (r) =>
          `Repeat ${i + 1}, ${r.system}: ${r.events.toLocaleString('en')} events, counts ${
            r.countsMatch === null
              ? 'not checked'
              : r.countsMatch
                ? 'match the ground truth'
                : 'DIFFER from the ground truth'
          }${r.note ? `; ${r.note}` : ''}.`,
      ),
    );
    return { figures, notes };
  },
};
