/**
 * Sums are kept in integer micro-units (value × 1e6) in every store, so that they are exact,
 * independent of the order of addition, and equal across Redis, ClickHouse and the embedded
 * stores. Values are already rounded to six decimals by validation (src/events/validate.ts).
 */
export const toMicros = (value: number): number => Math.round(value * 1_000_000);

export const fromMicros = (micros: number): number => micros / 1_000_000;
