import type { ScalarStats } from '../../live/stats.js';
import type { Sketch } from '../../live/sketch.js';

/**
 * The hash field values of the live windows (see live-apply.lua, which merges them):
 * scalars 'count valueCount sum min max' with min and max '-' while no event carried a value;
 * sketches as JSON objects of key -> count, several joined by '|' until live-apply.lua compacts
 * them (a key may repeat across them: counts add up). Numbers are written in JavaScript's shortest round-trip form,
 * so a min or max reads back as the very same double.
 */
export function encodeScalars(stats: ScalarStats): string {
  const bounds = stats.valueCount > 0 ? `${stats.min} ${stats.max}` : '- -';
  return `${stats.count} ${stats.valueCount} ${stats.sum} ${bounds}`;
}

export function decodeScalars(text: string): ScalarStats {
  const [count, valueCount, sum, min, max] = text.split(' ');
  const hasValues = Number(valueCount) > 0;
  return {
    count: Number(count),
    valueCount: Number(valueCount),
    sum: Number(sum),
    min: hasValues ? Number(min) : Infinity,
    max: hasValues ? Number(max) : -Infinity,
  };
}

export function encodeSketch(sketch: Sketch): string {
  const parts: string[] = [];
  for (const [key, count] of sketch) parts.push(`"${key}":${count}`);
  return `{${parts.join(',')}}`;
}

export function decodeSketchInto(into: Sketch, text: string): void {
  for (const fragment of text.split('|')) {
    const counts = JSON.parse(fragment) as Record<string, number>;
    for (const key in counts) {
      const k = Number(key);
      into.set(k, (into.get(k) ?? 0) + counts[key]!);
    }
  }
}
