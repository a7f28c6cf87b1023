/** Counters the fold keeps; the metrics endpoint reads them. Labels are small fixed sets. */
export interface Counter {
  inc(label?: string, by?: number): void;
  values(): Map<string, number>;
}

export function createCounter(): Counter {
  const values = new Map<string, number>();
  return {
    inc(label = '', by = 1) {
      values.set(label, (values.get(label) ?? 0) + by);
    },
    values: () => values,
  };
}

export interface FoldMetrics {
  /** Events folded into both sinks. */
  folded: Counter;
  /** Messages or array elements sent to the dead-letter topic, by step. */
  deadLettered: Counter;
  /** Events dropped as repeats of an id seen before. */
  duplicates: Counter;
  /** Events older than the live horizon: history only. */
  late: Counter;
  /** Waits on an unavailable dependency, by fold step. */
  retries: Counter;
  records: Counter;
  batches: Counter;
  observeBatch(records: number, events: number): void;
}

export function createFoldMetrics(): FoldMetrics {
  const records = createCounter();
  const batches = createCounter();
  return {
    folded: createCounter(),
    deadLettered: createCounter(),
    duplicates: createCounter(),
    late: createCounter(),
    retries: createCounter(),
    records,
    batches,
    observeBatch(recordCount) {
      records.inc(undefined, recordCount);
      batches.inc();
    },
  };
}
