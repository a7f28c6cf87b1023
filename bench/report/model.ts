/** What a scenario hands to the report: figures over repeats, and what the chart draws. */

export type Unit = 'events/s' | 'ms' | 'µs' | 'MiB' | 'cores' | 'count';

/**
 * A goal from the issue. `at-least`/`at-most` hold the figure itself; the ratio kinds hold the
 * figure over its baseline; `times-faster` holds the baseline over the figure (a time).
 */
export interface Target {
  kind: 'at-least' | 'at-most' | 'ratio-at-least' | 'ratio-at-most' | 'times-faster';
  value: number;
  /** As the issue words it, e.g. "≥ 0.7× raw". */
  text: string;
}

export interface Figure {
  measure: string;
  unit: Unit;
  /** This service: one value per repeat. */
  values: number[];
  baseline?: { label: string; values: number[] };
  target?: Target;
  /** Draw it as a throughput bar pair (this service against its baseline). */
  bar?: string;
}

/** One offered load of the freshness scenario, medians over its repeats. */
export interface FreshnessPoint {
  offered: number;
  achieved: number;
  p50: number;
  p99: number;
  rawP50: number;
  rawP99: number;
  /** The fold fell behind at this load (see the scenario for the rule). */
  behind: boolean;
}

export interface ScenarioResult {
  id: string;
  title: string;
  /** What was measured and how, one paragraph. */
  method: string;
  status: 'ok' | 'failed' | 'not available';
  /** Why it failed or is not available. */
  reason?: string;
  figures: Figure[];
  notes: string[];
  curve?: FreshnessPoint[];
  seconds: number;
}

export interface Machine {
  cores: number;
  memoryGiB: number;
  cpuModel: string;
  loadBefore: number[];
  loadAfter?: number[];
  versions: Record<string, string>;
}

export interface BenchReport {
  startedAt: string;
  command: string;
  quick: boolean;
  repeats: number;
  machine: Machine;
  scenarios: ScenarioResult[];
}
