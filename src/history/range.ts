/** Tumbling buckets [fromMs, toMs) of intervalMs, aligned to whole multiples of the interval since the epoch. */
export interface BucketRange {
  fromMs: number;
  toMs: number;
  intervalMs: number;
}

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** `from` rounded down and `to` up to a bucket boundary (API.md); the interval must be whole seconds. */
export function alignRange({ fromMs, toMs, intervalMs }: BucketRange): BucketRange {
  if (!Number.isSafeInteger(intervalMs) || intervalMs < SECOND_MS || intervalMs % SECOND_MS !== 0)
    throw new RangeError(
      `history interval must be a whole number of seconds, got ${intervalMs} ms`,
    );
  const from = Math.floor(fromMs / intervalMs) * intervalMs;
  const to = Math.max(from, Math.ceil(toMs / intervalMs) * intervalMs);
  return { fromMs: from, toMs: to, intervalMs };
}

/** Bucket starts of an aligned range, oldest first. */
export function bucketStarts({ fromMs, toMs, intervalMs }: BucketRange): number[] {
  const starts: number[] = [];
  for (let time = fromMs; time < toMs; time += intervalMs) starts.push(time);
  return starts;
}

/** Start of the bucket holding `timeMs`. */
export const bucketOf = (timeMs: number, intervalMs: number): number =>
  Math.floor(timeMs / intervalMs) * intervalMs;
