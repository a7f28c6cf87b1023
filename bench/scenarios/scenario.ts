import type { Figure, FreshnessPoint } from '../report/model.js';

/** The run's options as each scenario needs them (sizes already defaulted for quick mode). */
export interface ScenarioContext {
  quick: boolean;
  repeats: number;
  /** Events per fold throughput topic. */
  events: number;
  /** Offered loads of the freshness curve, ascending, and seconds at each. */
  freshRates: number[];
  freshSeconds: number;
  /** Seconds of each ingest measurement. */
  ingestSeconds: number;
  historyEvents: number;
  /** Timed queries per path per repeat. */
  historyQueries: number;
  subscribers: number[];
  fanOutSeconds: number;
  /** Events per second produced to Kafka while the fan-out is measured. */
  fanOutRate: number;
  peerEvents: number;
  /** Leave topics, databases and keys behind for a look. */
  keep: boolean;
  say: (line: string) => void;
}

export interface ScenarioOutcome {
  figures: Figure[];
  notes: string[];
  curve?: FreshnessPoint[];
  /** Set when the scenario could not run at all (a missing part), with the reason. */
  unavailable?: string;
}

export interface Scenario {
  /** The number in the list. */
  id: string;
  /** The name `--only` takes. */
  key: string;
  title: string;
  method(context: ScenarioContext): string;
  run(context: ScenarioContext): Promise<ScenarioOutcome>;
}

/** Runs `measure` `repeats` times, one after the other. */
export async function repeat<T>(
  context: ScenarioContext,
  what: string,
  measure: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < context.repeats; i++) {
    context.say(`${what}: repeat ${i + 1} of ${context.repeats}`);
    results.push(await measure(i));
  }
  return results;
}
