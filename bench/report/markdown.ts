import { markdownTable } from '../support/table.js';
import { formatRepeats, formatValue, ratioOf, verdict } from './figures.js';
import type { BenchReport, Figure, Machine, ScenarioResult } from './model.js';

const loads = (values: number[] | undefined) => (values ?? []).map((v) => v.toFixed(2)).join(' ');

function machineSection(machine: Machine): string {
  const rows = [
    ['cores', String(machine.cores)],
    ['memory', `${machine.memoryGiB.toFixed(1)} GiB`],
    ['CPU', machine.cpuModel],
    [
      'load average 1/5/15 min, start → end',
      `${loads(machine.loadBefore)} → ${loads(machine.loadAfter)}`,
    ],
    ...Object.entries(machine.versions),
  ];
  return markdownTable(['machine', ''], rows);
}

const withUnit = (figure: Figure) => `${figure.measure} (${figure.unit})`;

function ratioText(figure: Figure): string {
  const ratio = ratioOf(figure);
  if (!Number.isFinite(ratio)) return '';
  if (figure.target?.kind === 'times-faster')
    return `${ratio.toFixed(3)} (${(1 / ratio).toFixed(1)}× faster)`;
  return ratio.toFixed(2);
}

function figureRow(figure: Figure): string[] {
  return [
    withUnit(figure),
    formatRepeats(figure.values, figure.unit),
    figure.baseline
      ? `${formatRepeats(figure.baseline.values, figure.unit)} ${figure.baseline.label}`
      : '',
    ratioText(figure),
    figure.target?.text ?? '',
    verdict(figure)?.text ?? '',
  ];
}

const HEADER = [
  'measure (unit)',
  'this service: median (min–max)',
  'baseline, same run: median (min–max)',
  'ratio',
  'target',
  'verdict',
];

function scenarioSection(scenario: ScenarioResult): string {
  const parts = [`## ${scenario.id}. ${scenario.title}`, '', scenario.method];
  if (scenario.status !== 'ok')
    parts.push('', `**${scenario.status}**: ${scenario.reason ?? 'no reason given'}`);
  if (scenario.figures.length > 0)
    parts.push('', markdownTable(HEADER, scenario.figures.map(figureRow), new Set([1, 3])));
  if (scenario.curve && scenario.curve.length > 0)
    parts.push(
      '',
      'Latency against offered load (medians over repeats; the chart draws it):',
      '',
      markdownTable(
        [
          'offered (events/s)',
          'produced (events/s)',
          'p50 (ms)',
          'p99 (ms)',
          'raw kafkajs p50 / p99 (ms)',
          'fold',
        ],
        scenario.curve.map((p) => [
          formatValue(p.offered, 'events/s'),
          formatValue(p.achieved, 'events/s'),
          formatValue(p.p50, 'ms'),
          formatValue(p.p99, 'ms'),
          `${formatValue(p.rawP50, 'ms')} / ${formatValue(p.rawP99, 'ms')}`,
          p.behind ? 'falls behind' : 'keeps up',
        ]),
        new Set([0, 1, 2, 3]),
      ),
    );
  if (scenario.notes.length > 0) parts.push('', ...scenario.notes.map((note) => `- ${note}`));
  parts.push('', `_${scenario.seconds.toFixed(0)} s_`);
  return parts.join('\n');
}

/** Every figure that has a target, in one table: the first thing a reader looks for. */
function targetsSection(report: BenchReport): string {
  const rows = report.scenarios.flatMap((scenario) =>
    scenario.figures
      .filter((f) => f.target)
      .map((f) => [
        `${scenario.id}. ${f.measure}`,
        f.target!.text,
        `${formatRepeats(f.values, f.unit)} ${f.unit}${f.baseline ? `; ratio ${ratioText(f)}` : ''}`,
        verdict(f)?.text ?? '',
      ]),
  );
  if (rows.length === 0) return '';
  return ['## Targets', '', markdownTable(['figure', 'target', 'measured', 'verdict'], rows)].join(
    '\n',
  );
}

export function markdownReport(report: BenchReport): string {
  const unavailable = report.scenarios.filter((s) => s.status !== 'ok');
  return [
    `# pulsegraph benchmarks, ${report.startedAt}`,
    '',
    `\`${report.command}\`: ${report.quick ? 'quick mode (small sizes, short runs), ' : ''}each figure the median of ${report.repeats} repeat(s) after a warm-up, min–max over the repeats in parentheses; every baseline measured in the same run on the same machine.`,
    '',
    machineSection(report.machine),
    '',
    targetsSection(report),
    ...(unavailable.length > 0
      ? [
          '',
          `Not measured: ${unavailable.map((s) => `${s.id} (${s.status}: ${s.reason})`).join('; ')}.`,
        ]
      : []),
    '',
    '![throughput and freshness](chart.svg)',
    '',
    ...report.scenarios.flatMap((s) => [scenarioSection(s), '']),
  ].join('\n');
}
