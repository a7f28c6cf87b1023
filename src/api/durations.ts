/**
 * Durations of API.md: a positive whole number and one unit, `"10s"`, `"1m"`, `"5m"`, `"1h"`, `"1d"`.
 * Strict on purpose: no spaces, signs, decimals, leading zeros, compound forms or other units.
 */
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^([1-9][0-9]{0,5})([smhd])$/;

export const SECOND_MS = UNIT_MS.s;
export const MINUTE_MS = UNIT_MS.m;

/** Milliseconds, or null when `text` is not a duration. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text);
  if (!match) return null;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** Start of the bucket holding `ms`: buckets are whole multiples of `sizeMs` since the epoch. */
export const alignDown = (ms: number, sizeMs: number): number => Math.floor(ms / sizeMs) * sizeMs;

export const alignUp = (ms: number, sizeMs: number): number => Math.ceil(ms / sizeMs) * sizeMs;

/** The sliding window of `windowMs` ending now, at one-second resolution, the current second included. */
export function slidingWindow(nowMs: number, windowMs: number): { fromMs: number; toMs: number } {
  const toMs = alignDown(nowMs, SECOND_MS) + SECOND_MS;
  return { fromMs: toMs - windowMs, toMs };
}
