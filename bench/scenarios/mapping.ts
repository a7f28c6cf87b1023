import { createPipelineBench, type ThroughputRun } from '../support/pipeline-bench.js';
import { repeat, type Scenario } from './scenario.js';

const perSecond = (run: ThroughputRun) => run.events / run.fold.seconds;

export const mappedTopic: Scenario = {
  id: '7',
  key: 'mapping',
  title: 'Mapped topic (issue 8): foreign JSON through a topic mapping against native events',
  method: (c) =>
    `Each repeat fills two fresh 4-partition topics with the same ${c.events.toLocaleString('en')} ` +
    'events, one per message: one in the native event JSON (the baseline), one in a foreign shape ' +
    '(type in `kind`, epoch-ms `at`, nested user and attributes, the amount as a string, ids in ' +
    '`ref`), and folds each with its own fold process (the mapped one reads its topic through ' +
    'TOPIC_MAPPINGS_FILE), from its engines being ready until both sinks hold every event. ' +
    'Warm-up: one mapped fold of a tenth of the events first (not counted).',
  async run(c) {
    const bench = createPipelineBench({ events: c.events, withIds: true, say: c.say });
    const native: ThroughputRun[] = [];
    const mapped: ThroughputRun[] = [];
    try {
      await bench.setUp();
      c.say('mapping warm-up');
      await bench.throughput('mapped', Math.max(5_000, Math.round(c.events / 10)));
      await repeat(c, 'mapped vs native', async () => {
        native.push(await bench.throughput('single'));
        mapped.push(await bench.throughput('mapped'));
      });
    } finally {
      await bench.close(c.keep);
    }
    return {
      figures: [
        {
          measure: 'mapped one-event messages: start → both sinks hold all',
          unit: 'events/s',
          values: mapped.map(perSecond),
          baseline: { label: 'the same events, native JSON', values: native.map(perSecond) },
          target: { kind: 'ratio-at-least', value: 0.9, text: '≥ 0.9× native' },
          bar: 'fold, mapped topic',
        },
        {
          measure: '  fold CPU per event',
          unit: 'µs',
          values: mapped.map((r) => (r.fold.cpuSeconds * 1e6) / r.events),
          baseline: {
            label: 'native',
            values: native.map((r) => (r.fold.cpuSeconds * 1e6) / r.events),
          },
        },
      ],
      notes: [],
    };
  },
};
