import { median } from '../support/stats.js';
import { formatValue } from './figures.js';
import type { BenchReport, FreshnessPoint } from './model.js';

/**
 * The report's chart as a self-written SVG (no plotting dependency): throughput bars of this
 * service against each baseline, and the freshness latency against offered load. Both on log
 * scales: the figures span orders of magnitude (a fold at thousands of events/s next to a raw
 * consumer at hundreds of thousands; latencies from milliseconds to seconds once the fold falls behind).
 */

const WIDTH = 960;
const MARGIN = { left: 300, right: 60 };
/** Room right of the bars for their value and the baseline's name. */
const BAR_LABEL_ROOM = 190;
const BAR_HEIGHT = 14;
const GROUP_GAP = 14;
const PLOT_HEIGHT = 300;
const COLORS = { service: '#2563eb', baseline: '#9ca3af', behind: '#dc2626', grid: '#e5e7eb' };

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const text = (x: number, y: number, content: string, attrs = '') =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escape(content)}</text>`;

/** 1, 2, 5 × powers of ten between low and high. */
function logTicks(low: number, high: number): number[] {
  const ticks: number[] = [];
  for (let p = Math.floor(Math.log10(low)); p <= Math.ceil(Math.log10(high)); p++)
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** p;
      if (t >= low && t <= high) ticks.push(t);
    }
  return ticks;
}

const short = (n: number) =>
  n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(Number(n.toPrecision(3)));

/** Maps [low, high] (log) onto [from, to]. */
const logScale = (low: number, high: number, from: number, to: number) => (v: number) =>
  from + ((Math.log10(v) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * (to - from);

interface Bar {
  label: string;
  service: number;
  baseline: number;
  baselineLabel: string;
}

function barsOf(report: BenchReport): Bar[] {
  return report.scenarios.flatMap((s) =>
    s.figures
      .filter((f) => f.bar && f.baseline && f.values.length > 0 && f.baseline.values.length > 0)
      .map((f) => ({
        label: f.bar!,
        service: median(f.values),
        baseline: median(f.baseline!.values),
        // Its name up to the first comma: the table has the rest.
        baselineLabel: f.baseline!.label.split(',')[0]!,
      })),
  );
}

function barPanel(bars: Bar[], top: number): { svg: string; height: number } {
  const title = text(
    MARGIN.left,
    top + 16,
    'Throughput, events/s (log scale): this service against its baseline',
    'font-weight="bold"',
  );
  if (bars.length === 0)
    return {
      svg: `${title}${text(MARGIN.left, top + 44, 'no throughput figures in this run')}`,
      height: 60,
    };
  const values = bars.flatMap((b) => [b.service, b.baseline]).filter((v) => v > 0);
  const low = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const high = Math.max(...values) * 1.05;
  const x = logScale(low, high, MARGIN.left, WIDTH - MARGIN.right - BAR_LABEL_ROOM);
  const plotTop = top + 40;
  const groupHeight = BAR_HEIGHT * 2 + GROUP_GAP;
  const plotBottom = plotTop + bars.length * groupHeight;
  const legend = [
    [COLORS.service, 'this service'],
    [COLORS.baseline, 'its baseline, named at the bar'],
  ].map(([color, label], i) => {
    const left = MARGIN.left + i * 130;
    return `<rect x="${left}" y="${top + 24}" width="10" height="10" fill="${color}"/>${text(left + 14, top + 33, label!, 'font-size="11"')}`;
  });
  const parts = [title, ...legend];
  for (const t of logTicks(low, high))
    parts.push(
      `<line x1="${x(t)}" x2="${x(t)}" y1="${plotTop - 4}" y2="${plotBottom}" stroke="${COLORS.grid}"/>`,
      text(x(t), plotBottom + 14, short(t), 'text-anchor="middle" font-size="11"'),
    );
  bars.forEach((bar, i) => {
    const y = plotTop + i * groupHeight;
    parts.push(
      text(MARGIN.left - 8, y + BAR_HEIGHT + 4, bar.label, 'text-anchor="end" font-size="12"'),
    );
    for (const [k, value, color, who] of [
      [0, bar.service, COLORS.service, 'this service'],
      [1, bar.baseline, COLORS.baseline, bar.baselineLabel],
    ] as const) {
      const barTop = y + k * BAR_HEIGHT;
      const end = value > 0 ? x(Math.max(value, low)) : MARGIN.left;
      parts.push(
        `<rect x="${MARGIN.left}" y="${barTop}" width="${Math.max(1, end - MARGIN.left).toFixed(1)}" height="${BAR_HEIGHT - 2}" fill="${color}"><title>${escape(`${who}: ${formatValue(value, 'events/s')}`)}</title></rect>`,
        text(
          end + 4,
          barTop + BAR_HEIGHT - 3,
          `${formatValue(value, 'events/s')} ${k === 1 ? who : ''}`,
          'font-size="11"',
        ),
      );
    }
  });
  return { svg: parts.join('\n'), height: plotBottom + 30 - top };
}

function curvePanel(curve: FreshnessPoint[], top: number): { svg: string; height: number } {
  const title = text(
    MARGIN.left,
    top + 16,
    'Freshness: produce → visible, ms, against offered load, events/s (log scales)',
    'font-weight="bold"',
  );
  if (curve.length === 0)
    return {
      svg: `${title}${text(MARGIN.left, top + 44, 'no freshness curve in this run')}`,
      height: 60,
    };
  const loads = curve.map((p) => p.offered);
  const latencies = curve
    .flatMap((p) => [p.p50, p.p99, p.rawP50, p.rawP99])
    .filter((v) => v > 0 && Number.isFinite(v));
  const xLow = 10 ** Math.floor(Math.log10(Math.min(...loads)));
  const xHigh = 10 ** Math.ceil(Math.log10(Math.max(...loads)));
  const yLow = 10 ** Math.floor(Math.log10(Math.min(...latencies)));
  const yHigh = 10 ** Math.ceil(Math.log10(Math.max(...latencies)));
  const plotTop = top + 40;
  const plotBottom = plotTop + PLOT_HEIGHT;
  const x = logScale(xLow, xHigh, MARGIN.left, WIDTH - MARGIN.right);
  const y = logScale(yLow, yHigh, plotBottom, plotTop);
  const parts = [title];
  for (const t of logTicks(xLow, xHigh))
    parts.push(
      `<line x1="${x(t)}" x2="${x(t)}" y1="${plotTop}" y2="${plotBottom}" stroke="${COLORS.grid}"/>`,
      text(x(t), plotBottom + 14, short(t), 'text-anchor="middle" font-size="11"'),
    );
  for (const t of logTicks(yLow, yHigh))
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(t)}" y2="${y(t)}" stroke="${COLORS.grid}"/>`,
      text(MARGIN.left - 6, y(t) + 4, `${short(t)} ms`, 'text-anchor="end" font-size="11"'),
    );
  const lines: [keyof FreshnessPoint, string, string, string][] = [
    ['p50', COLORS.service, '', 'this service p50 (counted in Redis)'],
    ['p99', COLORS.service, 'stroke-dasharray="6 4"', 'this service p99'],
    ['rawP50', COLORS.baseline, '', 'raw kafkajs consumer p50'],
    ['rawP99', COLORS.baseline, 'stroke-dasharray="6 4"', 'raw kafkajs consumer p99'],
  ];
  lines.forEach(([key, color, dash, label], i) => {
    const points = curve
      .filter((p) => Number.isFinite(p[key] as number) && (p[key] as number) > 0)
      .map((p) => `${x(p.offered).toFixed(1)},${y(p[key] as number).toFixed(1)}`);
    parts.push(
      `<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="2" ${dash}/>`,
    );
    for (const point of points) {
      const [px, py] = point.split(',');
      parts.push(`<circle cx="${px}" cy="${py}" r="3" fill="${color}"/>`);
    }
    const legendY = plotTop + 10 + i * 16;
    parts.push(
      `<line x1="${MARGIN.left - 280}" x2="${MARGIN.left - 250}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="2" ${dash}/>`,
      text(MARGIN.left - 244, legendY + 4, label, 'font-size="11"'),
    );
  });
  for (const p of curve.filter((point) => point.behind))
    parts.push(
      `<circle cx="${x(p.offered).toFixed(1)}" cy="${y(Math.max(p.p99, yLow)).toFixed(1)}" r="7" fill="none" stroke="${COLORS.behind}" stroke-width="2"/>`,
    );
  if (curve.some((p) => p.behind))
    parts.push(
      `<circle cx="${MARGIN.left - 265}" cy="${plotTop + 10 + 4 * 16}" r="6" fill="none" stroke="${COLORS.behind}" stroke-width="2"/>`,
      text(MARGIN.left - 244, plotTop + 14 + 4 * 16, 'the fold falls behind', 'font-size="11"'),
    );
  return { svg: parts.join('\n'), height: plotBottom + 30 - top };
}

export function chartSvg(report: BenchReport): string {
  const bars = barPanel(barsOf(report), 40);
  const curve = curvePanel(
    report.scenarios.find((s) => s.curve)?.curve ?? [],
    40 + bars.height + 20,
  );
  const height = 40 + bars.height + 20 + curve.height + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    text(
      20,
      24,
      `pulsegraph benchmarks, ${report.startedAt}${report.quick ? ' (quick mode)' : ''}, ${report.machine.cores} cores`,
      'font-size="15" font-weight="bold"',
    ),
    bars.svg,
    curve.svg,
    '</svg>',
  ].join('\n');
}
