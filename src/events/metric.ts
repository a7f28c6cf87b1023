/** The metric description of API.md, as the stores receive it (already validated). */
export const AGGREGATES = [
  'COUNT',
  'SUM',
  'AVG',
  'MIN',
  'MAX',
  'UNIQUES',
  'P50',
  'P90',
  'P95',
  'P99',
] as const;
export type Aggregate = (typeof AGGREGATES)[number];

export const PERCENTILES: Partial<Record<Aggregate, number>> = {
  P50: 0.5,
  P90: 0.9,
  P95: 0.95,
  P99: 0.99,
};

/** key = one of values (`equals` is normalised to a one-element `in`). */
export interface DimensionFilter {
  key: string;
  in: string[];
}

export interface Metric {
  event: string;
  aggregate: Aggregate;
  /** All must hold. */
  filter: DimensionFilter[];
  groupBy: string | null;
}
