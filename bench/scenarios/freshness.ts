import type { Figure, FreshnessPoint } from '../report/model.js';
import { createPipelineBench, type Freshness } from '../support/pipeline-bench.js';
import { median, percentile } from '../support/stats.js';
import { repeat, type Scenario } from './scenario.js';

/** A load at which half the events wait longer than this has outrun the fold: a backlog grows. */
const BEHIND_P50_MS = 1000;
/** The producer (this process) fell short of the offered load by more than this fraction. */
const SHORT_OF_OFFERED = 0.9;

interface Level {
  offered: number;
  runs: Freshness[];
}

const achieved = (run: Freshness) => run.events / run.seconds;
const medianOf = (runs: Freshness[], pick: (run: Freshness) => number) => median(runs.map(pick));

function point(level: Level): FreshnessPoint {
  const p50 = medianOf(level.runs, (r) => percentile(r.live, 0.5));
  return {
    offered: level.offered,
    achieved: medianOf(level.runs, achieved),
    p50,
    p99: medianOf(level.runs, (r) => percentile(r.live, 0.99)),
    rawP50: medianOf(level.runs, (r) => percentile(r.raw, 0.5)),
    rawP99: medianOf(level.runs, (r) => percentile(r.raw, 0.99)),
    behind: p50 > BEHIND_P50_MS,
  };
}

export const freshness: Scenario = {
  id: '2',
  key: 'freshness',
  title: 'Freshness: produce → counted in Redis, against offered load',
  method: (c) =>
    `At each offered load (${c.freshRates.map((r) => r.toLocaleString('en')).join(', ')} events/s, ` +
    `ascending, ${c.freshSeconds} s each, one event per message, sent every 5 ms from this process) ` +
    'a fresh topic and fold process; an event is visible at the first poll (back to back, ~1 ms apart) ' +
    "of the live windows' offsets in Redis that covers its offset. Baseline: a raw kafkajs consumer in " +
    `this process receiving the same events. The curve stops after the first load where the p50 exceeds ${BEHIND_P50_MS} ms ` +
    `(the fold falls behind: its backlog grows for as long as the load lasts) or the producer cannot offer ` +
    `${SHORT_OF_OFFERED * 100} % of it. Warm-up: 3 s at the lowest load (not counted).`,
  async run(c) {
    const bench = createPipelineBench({ events: 0, withIds: true, say: c.say });
    const levels: Level[] = [];
    const notes: string[] = [];
    try {
      await bench.setUp();
      c.say('freshness warm-up');
      await bench.freshness(c.freshRates[0]!, 3);
      for (const offered of c.freshRates) {
        const runs = await repeat(c, `freshness at ${offered.toLocaleString('en')} events/s`, () =>
          bench.freshness(offered, c.freshSeconds),
        );
        const level = { offered, runs };
        levels.push(level);
        const at = point(level);
        c.say(
          `  p50 ${at.p50.toFixed(1)} ms, p99 ${at.p99.toFixed(1)} ms (raw ${at.rawP50.toFixed(1)} / ${at.rawP99.toFixed(1)}), produced ${Math.round(at.achieved)}/s`,
        );
        const short = at.achieved < SHORT_OF_OFFERED * offered;
        if (at.behind)
          notes.push(
            `The fold falls behind at ${offered.toLocaleString('en')} events/s offered` +
              (at.rawP50 > BEHIND_P50_MS
                ? ': so does the raw kafkajs consumer, the machine itself is saturated at this load.'
                : '.'),
          );
        if (short)
          notes.push(
            `The producer (this process) reached only ${Math.round(at.achieved).toLocaleString('en')} of ${offered.toLocaleString('en')} events/s offered.`,
          );
        if (at.behind || short) break;
      }
    } finally {
      await bench.close(c.keep);
    }
    const curve = levels.map(point);
    const kept = curve.filter((p) => !p.behind);
    if (kept.length === curve.length && curve.length === c.freshRates.length)
      notes.push('The fold kept up at every offered load: raise --fresh-rates to find saturation.');
    const figures: Figure[] = levels.flatMap((level) =>
      (
        [
          [0.5, 'p50'],
          [0.99, 'p99'],
        ] as const
      ).map(([q, label]) => ({
        measure: `${level.offered.toLocaleString('en')} events/s offered: produce → counted in Redis, ${label}`,
        unit: 'ms' as const,
        values: level.runs.map((r) => percentile(r.live, q)),
        baseline: {
          label: 'raw kafkajs consumer receives it',
          values: level.runs.map((r) => percentile(r.raw, q)),
        },
      })),
    );
    if (kept.length > 0)
      figures.push({
        measure: 'highest offered load the fold keeps up with',
        unit: 'events/s',
        values: [kept[kept.length - 1]!.offered],
      });
    notes.push(
      `Fold CPU while producing (cores), per load: ${levels
        .map(
          (l) =>
            `${l.offered.toLocaleString('en')}: ${medianOf(l.runs, (r) => r.foldCores).toFixed(2)}`,
        )
        .join('; ')}.`,
    );
    return { figures, notes, curve };
  },
};
