/**
 * When a stored offset (per key, e.g. per group and partition) was first seen at or above a value:
 * the steps of a polled, never-decreasing offset. Answers "when did offset o become visible".
 */
export interface OffsetTimeline {
  /** Records a poll: `offset` was stored at time `at` (ms, ascending per key). */
  observe(key: string, offset: number, at: number): void;
  /** The first poll that saw `offset` (or beyond) under `key`, or undefined. */
  firstAt(key: string, offset: number): number | undefined;
  /** The highest offset seen under `key`, -1 before any. */
  latest(key: string): number;
}

export function createOffsetTimeline(): OffsetTimeline {
  const steps = new Map<string, { offsets: number[]; times: number[] }>();
  return {
    observe(key, offset, at) {
      let s = steps.get(key);
      if (!s) steps.set(key, (s = { offsets: [], times: [] }));
      if (s.offsets.length > 0 && offset <= s.offsets[s.offsets.length - 1]!) return;
      s.offsets.push(offset);
      s.times.push(at);
    },
    firstAt(key, offset) {
      const s = steps.get(key);
      if (!s) return undefined;
      let lo = 0;
      let hi = s.offsets.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (s.offsets[mid]! >= offset) hi = mid;
        else lo = mid + 1;
      }
      return lo < s.offsets.length ? s.times[lo] : undefined;
    },
    latest(key) {
      const s = steps.get(key);
      return s && s.offsets.length > 0 ? s.offsets[s.offsets.length - 1]! : -1;
    },
  };
}
