// The benchmark harness of issue 6: every scenario against its baseline in one run, on this
// machine, into a report.
//   npm run bench -- [--quick] [--only fold,freshness,ingest,history,fanout,peers] [--repeats N]
//                    [--events N] [--fresh-rates 1000,5000,...] [--fresh-seconds S]
//                    [--ingest-seconds S] [--history-events N] [--history-queries N]
//                    [--subscribers 1000,5000,10000] [--fanout-seconds S] [--fanout-rate R]
//                    [--peer-events N] [--out DIR] [--keep]
// --quick   small sizes and short runs: the whole run in a few minutes (defaults below)
// --only    the scenarios to run (default all), by name (also: mapping)
// --repeats each scenario's measurement this many times after its warm-up (default 3; quick 1:
//           --quick --repeats 2 shows min–max too)
// --keep    leave the runs' topics, databases and keys on the engines for a look afterwards
// The engines come up through `bash scripts/stack.sh up` when one does not answer. The report goes
// to <out>/<timestamp>/ (default bench/results, git-ignored): report.md (the tables, the machine at
// the top), chart.svg (throughput bars, latency against load), results.json (every figure), and
// <out>/latest points at it. Scenarios (bench/scenarios/), each with its baseline in the same run:
//   fold       1. fold throughput, one-event and array messages, against raw kafkajs consume
//   freshness  2. produce → counted in Redis at rising offered loads until the fold falls behind,
//                 against a raw kafkajs consumer's receive latency
//   ingest     3. the ingest mutation, batches of 100 and 1000, against kafkajs producing directly
//   history    4. the API's history query against the plain ClickHouse query and raw events
//   fanout     5. graphql-ws subscribers on one API process: push lag, CPU and memory
//   peers      6. the same job through ClickHouse alone and Kafka + Spark (bench/peers)
//   mapping    7. a topic in a foreign shape read through a topic mapping, against native events
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { chartSvg } from './report/chart.js';
import { describeMachine } from './report/machine.js';
import { markdownReport } from './report/markdown.js';
import type { BenchReport, ScenarioResult } from './report/model.js';
import { fanOut } from './scenarios/fanout.js';
import { foldThroughput } from './scenarios/fold.js';
import { freshness } from './scenarios/freshness.js';
import { history } from './scenarios/history.js';
import { ingest } from './scenarios/ingest.js';
import { mappedTopic } from './scenarios/mapping.js';
import { peers } from './scenarios/peers.js';
import type { Scenario, ScenarioContext } from './scenarios/scenario.js';
import { ROOT, stackEnv, type StackEnv } from './support/stack-env.js';

const SCENARIOS: Scenario[] = [
  foldThroughput,
  freshness,
  ingest,
  history,
  fanOut,
  peers,
  mappedTopic,
];

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    repeats: { type: 'string' },
    events: { type: 'string' },
    'fresh-rates': { type: 'string' },
    'fresh-seconds': { type: 'string' },
    'ingest-seconds': { type: 'string' },
    'history-events': { type: 'string' },
    'history-queries': { type: 'string' },
    subscribers: { type: 'string' },
    'fanout-seconds': { type: 'string' },
    'fanout-rate': { type: 'string' },
    'peer-events': { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'bench', 'results') },
    keep: { type: 'boolean', default: false },
  },
});

const quick = args.quick;
/** The option as a number, else the quick or full default. */
const count = (name: keyof typeof args, full: number, short: number): number => {
  const value = args[name];
  if (typeof value !== 'string') return quick ? short : full;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`--${name} takes a positive number, got ${value}`);
  return n;
};
const counts = (name: keyof typeof args, full: string, short: string): number[] =>
  String(args[name] ?? (quick ? short : full))
    .split(',')
    .map((part) => Number(part.trim().replace(/_/g, '')))
    .filter((n) => Number.isFinite(n) && n > 0)
    .sort((a, b) => a - b);

const say = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

const context: ScenarioContext = {
  quick,
  repeats: count('repeats', 3, 1),
  events: count('events', 500_000, 50_000),
  freshRates: counts(
    'fresh-rates',
    '1000,2000,5000,10000,20000,40000,80000',
    '1000,2000,3000,5000,10000,20000',
  ),
  freshSeconds: count('fresh-seconds', 20, 5),
  ingestSeconds: count('ingest-seconds', 15, 5),
  historyEvents: count('history-events', 20_000_000, 2_000_000),
  historyQueries: count('history-queries', 30, 10),
  subscribers: counts('subscribers', '1000,5000,10000', '1000,5000,10000'),
  fanOutSeconds: count('fanout-seconds', 20, 8),
  fanOutRate: count('fanout-rate', 1_000, 1_000),
  peerEvents: count('peer-events', 1_000_000, 100_000),
  keep: args.keep,
  say,
};

function selected(): Scenario[] {
  if (!args.only) return SCENARIOS;
  const wanted = args.only.split(',').map((s) => s.trim());
  const unknown = wanted.filter((key) => !SCENARIOS.some((s) => s.key === key));
  if (unknown.length > 0)
    throw new Error(
      `--only: no scenario ${unknown.join(', ')} (there are ${SCENARIOS.map((s) => s.key).join(', ')})`,
    );
  return SCENARIOS.filter((s) => wanted.includes(s.key));
}

const answers = (address: string): Promise<boolean> =>
  new Promise((done) => {
    const url = new URL(address.includes('://') ? address : `tcp://${address}`);
    const socket = createConnection({ host: url.hostname, port: Number(url.port) });
    socket.setTimeout(2000);
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
    socket.once('timeout', () => (socket.destroy(), done(false)));
  });

/** The engines' addresses, after starting them through the stack script when one is silent. */
async function stackUp(): Promise<StackEnv> {
  const env = stackEnv();
  const addresses = [env.KAFKA_BROKERS.split(',')[0]!, env.REDIS_URL, env.CLICKHOUSE_URL];
  if ((await Promise.all(addresses.map(answers))).every(Boolean)) return env;
  say('an engine does not answer: bash scripts/stack.sh up');
  const up = spawnSync('bash', ['scripts/stack.sh', 'up'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (up.status !== 0) throw new Error(`scripts/stack.sh up failed (exit ${up.status})`);
  return stackEnv();
}

async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  say(`scenario ${scenario.id}: ${scenario.title}`);
  const started = performance.now();
  const result = {
    id: scenario.id,
    title: scenario.title,
    method: scenario.method(context),
  };
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const outcome = await scenario.run(context);
    return {
      ...result,
      status: outcome.unavailable ? 'not available' : 'ok',
      ...(outcome.unavailable ? { reason: outcome.unavailable } : {}),
      figures: outcome.figures,
      notes: outcome.notes,
      ...(outcome.curve ? { curve: outcome.curve } : {}),
      seconds: seconds(),
    };
  } catch (error) {
    say(`scenario ${scenario.id} failed: ${(error as Error).stack ?? String(error)}`);
    return {
      ...result,
      status: 'failed',
      reason: (error as Error).message.split('\n')[0] ?? String(error),
      figures: [],
      notes: [],
      seconds: seconds(),
    };
  }
}

/** report.md, chart.svg and results.json into <out>/<timestamp>/, and <out>/latest pointing there. */
function write(report: BenchReport): string {
  const out = resolve(args.out);
  const name = report.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const dir = join(out, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'report.md'), markdownReport(report));
  writeFileSync(join(dir, 'chart.svg'), chartSvg(report));
  writeFileSync(join(dir, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  const latest = join(out, 'latest');
  rmSync(latest, { force: true, recursive: false });
  symlinkSync(name, latest);
  return dir;
}

async function main(): Promise<number> {
  const scenarios = selected();
  const startedAt = new Date().toISOString();
  const env = await stackUp();
  const machine = await describeMachine(env);
  say(
    `${scenarios.map((s) => s.key).join(', ')}; ${context.repeats} repeat(s)${quick ? ', quick' : ''}; ` +
      `${machine.cores} cores, load ${machine.loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) results.push(await runScenario(scenario));
  machine.loadAfter = loadavg();
  const report: BenchReport = {
    startedAt,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    quick,
    repeats: context.repeats,
    machine,
    scenarios: results,
  };
  const dir = write(report);
  console.log(markdownReport(report));
  say(`report: ${join(dir, 'report.md')}, chart: ${join(dir, 'chart.svg')}`);
  return results.some((r) => r.status === 'failed') ? 1 : 0;
}

process.exitCode = await main();
