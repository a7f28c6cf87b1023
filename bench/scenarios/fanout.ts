import type { Figure } from '../report/model.js';
import { checkOpenFileLimit, createApiBench, type FanOutRow } from '../support/api-bench.js';
import { summariseLogLines } from '../support/log-lines.js';
import { percentile } from '../support/stats.js';
import { repeat, type Scenario } from './scenario.js';

const TARGET_SUBSCRIBERS = 10_000;
const MiB = (bytes: number) => bytes / 1024 / 1024;

export const fanOut: Scenario = {
  id: '5',
  key: 'fanout',
  title: 'Fan-out: graphql-ws subscribers of `live` on one API process',
  method: (c) =>
    `For each level (${c.subscribers.map((n) => n.toLocaleString('en')).join(', ')} subscribers) and repeat, a fresh API ` +
    'process (production mode) and child processes holding one graphql-ws socket per subscriber, each ' +
    `subscribed to \`live\` of page_view over 1m every 1s, measured for ${c.fanOutSeconds} s while ` +
    `${c.fanOutRate.toLocaleString('en')} events/s go straight to Kafka and the fold folds them. Push lag = a frame's ` +
    'arrival minus the whole second whose tick computed it. Baseline: the lag of the first frame of each ' +
    'tick to arrive anywhere (compute + first write). CPU and memory of the API process from /proc. ' +
    'Warm-up: 100 subscribers for 3 s first (not counted).',
  async run(c) {
    checkOpenFileLimit(Math.max(...c.subscribers));
    const bench = createApiBench({ rate: c.fanOutRate, say: c.say });
    const levels: { subscribers: number; rows: FanOutRow[] }[] = [];
    try {
      await bench.start();
      c.say('fan-out warm-up');
      await bench.fanOut(100, 3);
      for (const subscribers of c.subscribers) {
        const rows = await repeat(
          c,
          `fan-out, ${subscribers.toLocaleString('en')} subscribers`,
          async () => {
            const row = await bench.fanOut(subscribers, c.fanOutSeconds);
            c.say(
              `  push lag p99 ${percentile(row.lags, 0.99).toFixed(1)} ms, ${row.frames} of ${row.expected} frames, API ${row.apiCores.toFixed(2)} cores, ${MiB(row.rss).toFixed(0)} MiB`,
            );
            return row;
          },
        );
        levels.push({ subscribers, rows });
      }
    } finally {
      await bench.close(c.keep);
    }
    const figures: Figure[] = levels.flatMap(({ subscribers, rows }) => [
      {
        measure: `${subscribers.toLocaleString('en')} subscribers: push lag p99`,
        unit: 'ms',
        values: rows.map((r) => percentile(r.lags, 0.99)),
        baseline: {
          label: 'first frame of a tick',
          values: rows.map((r) => percentile(r.firstLags, 0.99)),
        },
        ...(subscribers === TARGET_SUBSCRIBERS
          ? { target: { kind: 'at-most', value: 250, text: '≤ 250 ms' } as const }
          : {}),
      },
      {
        measure: '  push lag p50',
        unit: 'ms',
        values: rows.map((r) => percentile(r.lags, 0.5)),
        baseline: {
          label: 'first frame of a tick',
          values: rows.map((r) => percentile(r.firstLags, 0.5)),
        },
      },
      {
        measure: '  API CPU',
        unit: 'cores',
        values: rows.map((r) => r.apiCores),
      },
      {
        measure: '  API RSS at the end',
        unit: 'MiB',
        values: rows.map((r) => MiB(r.rss)),
        baseline: { label: 'API idle', values: rows.map((r) => MiB(r.idleRss)) },
      },
      {
        measure: '  API RSS peak',
        unit: 'MiB',
        values: rows.map((r) => MiB(r.peakRss)),
      },
    ]);
    const notes = levels.map(({ subscribers, rows }) => {
      const frames = rows.reduce((n, r) => n + r.frames, 0);
      const expected = rows.reduce((n, r) => n + r.expected, 0);
      const failed = rows.reduce((n, r) => n + r.failedToConnect + r.lost, 0);
      return (
        `${subscribers.toLocaleString('en')} subscribers: ${frames.toLocaleString('en')} of ${expected.toLocaleString('en')} frames received, ` +
        `${failed} failed to connect or lost; subscribed in ${rows.map((r) => r.connectSeconds.toFixed(1)).join(' / ')} s; ` +
        `clients ${rows.map((r) => r.clientCores.toFixed(2)).join(' / ')} cores; fold lag max ${rows.map((r) => r.foldLagMs).join(' / ')} ms; load ${rows.map((r) => r.load).join(' / ')}.`
      );
    });
    notes.push(...summariseLogLines(bench.problems).map((l) => `The service logged: ${l}`));
    return { figures, notes };
  },
};
