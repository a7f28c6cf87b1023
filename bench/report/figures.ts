import { median } from '../support/stats.js';
import type { Figure, Target, Unit } from './model.js';

/** A figure in its unit: counts with thousands separators, times with 1 decimal. */
export function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return String(value);
  switch (unit) {
    case 'events/s':
    case 'count':
      return Math.round(value).toLocaleString('en');
    case 'µs':
      return value.toFixed(2);
    case 'ms':
      return value >= 100 ? Math.round(value).toLocaleString('en') : value.toFixed(1);
    case 'MiB':
      return value.toFixed(0);
    case 'cores':
      return value.toFixed(2);
  }
}

/** Median, and min–max when the repeats differ: `12.3 (11.0–14.1)`. */
export function formatRepeats(values: number[], unit: Unit): string {
  if (values.length === 0) return '–';
  const mid = formatValue(median(values), unit);
  if (values.length === 1) return mid;
  const low = formatValue(Math.min(...values), unit);
  const high = formatValue(Math.max(...values), unit);
  return low === high ? mid : `${mid} (${low}–${high})`;
}

/** This service's median over its baseline's, or NaN without a baseline. */
export function ratioOf(figure: Figure): number {
  if (!figure.baseline || figure.baseline.values.length === 0) return NaN;
  return median(figure.values) / median(figure.baseline.values);
}

/** What the target compares: the figure, its ratio to the baseline, or the baseline over it. */
function held(figure: Figure, target: Target): number {
  if (target.kind === 'at-least' || target.kind === 'at-most') return median(figure.values);
  const ratio = ratioOf(figure);
  return target.kind === 'times-faster' ? 1 / ratio : ratio;
}

export interface Verdict {
  met: boolean;
  text: string;
}

/** "met", or "missed by X (Y %)" with X in the target's own terms. */
export function verdict(figure: Figure): Verdict | undefined {
  const target = figure.target;
  if (!target || figure.values.length === 0) return undefined;
  const value = held(figure, target);
  if (!Number.isFinite(value)) return { met: false, text: 'no figure' };
  const atLeast = ['at-least', 'ratio-at-least', 'times-faster'].includes(target.kind);
  const met = atLeast ? value >= target.value : value <= target.value;
  if (met) return { met, text: 'met' };
  const gap = Math.abs(value - target.value);
  const percent = ((gap / target.value) * 100).toFixed(0);
  const amount =
    target.kind === 'at-least' || target.kind === 'at-most'
      ? `${formatValue(gap, figure.unit)} ${figure.unit}`
      : `${gap.toFixed(2)}×`;
  const now = target.kind === 'times-faster' ? `, is ${value.toFixed(1)}×` : '';
  return { met, text: `missed by ${amount} (${percent} %${now})` };
}
