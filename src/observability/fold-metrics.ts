import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Counter as FoldCounter, FoldMetrics } from '../fold/metrics.js';
import { partitionKey, type EventLog, type TopicPartition } from '../ports/event-log.js';
import type { FoldProgressStore } from '../ports/fold-progress.js';
import { withDeadline } from './deadline.js';

/** What the fold runner needs to observe a fold: per batch and per sink write, never per event. */
export interface FoldInstruments {
  /** One batch folded (or failed): its records and how long it took. */
  batch(records: number, seconds: number): void;
  /** The same store, with every call of `method` timed as a write to `sink`. */
  timeWrites<T extends object>(store: T, method: keyof T, sink: 'live' | 'history'): T;
  /** Exposes the fold's own counters, and the lag of the partitions the consumer holds. */
  watch(source: {
    counters: FoldMetrics;
    assigned: () => readonly TopicPartition[];
    log: EventLog;
    progress: FoldProgressStore;
  }): void;
}

const LAG_TIMEOUT_MS = 2000;

export function createFoldInstruments(registry: Registry): FoldInstruments {
  const registers = [registry];
  const batchRecords = new Histogram({
    name: 'pulsegraph_fold_batch_records',
    help: 'Records per partition batch handed to the fold.',
    buckets: [1, 10, 100, 500, 1000, 5000, 10_000, 50_000],
    registers,
  });
  const batchSeconds = new Histogram({
    name: 'pulsegraph_fold_batch_duration_seconds',
    help: 'Time to fold one partition batch into both sinks, waits on dependencies included.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const writeSeconds = new Histogram({
    name: 'pulsegraph_sink_write_duration_seconds',
    help: 'One write of the fold to a sink: live = the live windows apply (Redis), history = one insert (ClickHouse).',
    labelNames: ['sink'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });

  return {
    batch(records, seconds) {
      batchRecords.observe(records);
      batchSeconds.observe(seconds);
    },
    timeWrites(store, method, sink) {
      const original = store[method] as (...args: unknown[]) => Promise<unknown>;
      const timer = writeSeconds.labels(sink);
      const timed = async (...args: unknown[]) => {
        const done = timer.startTimer();
        try {
          return await original.apply(store, args);
        } finally {
          done();
        }
      };
      return new Proxy(store, {
        get: (target, property, receiver) =>
          property === method ? timed : Reflect.get(target, property, receiver),
      });
    },
    watch({ counters, assigned, log, progress }) {
      exposeCounter(
        registry,
        'pulsegraph_fold_events_total',
        'Events folded into both sinks.',
        counters.folded,
      );
      exposeCounter(
        registry,
        'pulsegraph_fold_records_total',
        'Log records read by the fold (a record may hold an array of events).',
        counters.records,
      );
      exposeCounter(
        registry,
        'pulsegraph_fold_batches_total',
        'Partition batches folded.',
        counters.batches,
      );
      exposeCounter(
        registry,
        'pulsegraph_fold_dead_lettered_total',
        'Messages or array elements rejected and sent to the dead-letter topic, by the step that rejected them.',
        counters.deadLettered,
        'step',
      );
      exposeCounter(
        registry,
        'pulsegraph_fold_duplicates_total',
        'Events dropped as repeats of an id seen before.',
        counters.duplicates,
      );
      exposeCounter(
        registry,
        'pulsegraph_fold_late_total',
        'Events older than the live horizon: folded into history only.',
        counters.late,
        'sink',
      );
      exposeCounter(
        registry,
        'pulsegraph_fold_retries_total',
        'Waits on an unavailable dependency, by fold step.',
        counters.retries,
        'step',
      );
      new Gauge({
        name: 'pulsegraph_fold_partitions_assigned',
        help: 'Partitions this consumer holds.',
        registers,
        collect() {
          this.set(assigned().length);
        },
      });
      new Gauge({
        name: 'pulsegraph_fold_lag_records',
        help: 'Records in a partition this consumer holds that are not folded yet (log end minus fold progress).',
        labelNames: ['topic', 'partition'],
        registers,
        async collect() {
          this.reset();
          const held = assigned();
          if (held.length === 0) return;
          const lags = await withDeadline(
            partitionLag(log, progress, held),
            LAG_TIMEOUT_MS,
            'consumer lag',
          ).catch(() => []); // the log or the progress store is away: no lag to report this scrape
          for (const { topic, partition, lag } of lags)
            this.set({ topic, partition: String(partition) }, lag);
        },
      });
    },
  };
}

/** A counter of the fold exposed as a Prometheus counter, read at scrape time. */
function exposeCounter(
  registry: Registry,
  name: string,
  help: string,
  source: FoldCounter,
  label?: string,
) {
  new Counter({
    name,
    help,
    labelNames: label ? [label] : [],
    registers: [registry],
    collect() {
      this.reset();
      for (const [value, count] of source.values()) {
        if (label) this.inc({ [label]: value }, count);
        else this.inc(count);
      }
    },
  });
}

/** Per partition: the log's end offset minus the next offset the fold will apply. */
async function partitionLag(
  log: EventLog,
  progress: FoldProgressStore,
  partitions: readonly TopicPartition[],
): Promise<(TopicPartition & { lag: number })[]> {
  const topics = [...new Set(partitions.map((p) => p.topic))];
  const [ends, folded] = await Promise.all([log.endOffsets(topics), progress.read(topics)]);
  const end = new Map(ends.map((e) => [partitionKey(e), e.offset]));
  const next = new Map(folded.map((p) => [partitionKey(p), p.offset + 1]));
  return partitions.map((p) => ({
    ...p,
    lag: Math.max(0, (end.get(partitionKey(p)) ?? 0) - (next.get(partitionKey(p)) ?? 0)),
  }));
}
