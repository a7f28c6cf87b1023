// `npm start` with nothing configured runs on the embedded engines. Its numbers must survive the
// process: live windows are rebuilt from the log, history and dedup claims live in SQLite. Stopped
// by SIGKILL or by SIGTERM and started again on the same DATA_DIR, it answers exactly as before,
// and events sent again with the same ids after a restart still count once.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_BATCH_BYTES } from '../../src/adapters/embedded-log/consumer.js';
import { ingestAll, readNumbers, shopEvents, truthOf, type Numbers } from './numbers.js';
import { killAll, startService, type RunningService } from '../support/service-process.js';
import { waitUntilFolded } from './service.js';

const dataDir = mkdtempSync(join(tmpdir(), 'pulsegraph-embedded-'));
const startedAt = Date.now();
/** History from two hours back: every event is stamped within the last ten minutes. */
const historyFrom = startedAt - 2 * 3_600_000;
const events = shopEvents(12_000, startedAt, 11, 'shop');
let service: RunningService;
let before: Numbers;

afterAll(() => {
  killAll();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(label: string): Promise<RunningService> {
  const started = await startService(dataDir);
  console.log(`[embedded] ${label}: spawn to "GraphQL API listening" in ${started.startupMs} ms`);
  return started;
}

/** Truth, except live UNIQUES: a HyperLogLog, held to its documented error. */
function expectTruth(numbers: Numbers, truth: Numbers): void {
  const { usersByPlan, ...exact } = numbers;
  const { usersByPlan: truthUsers, ...exactTruth } = truth;
  expect(exact).toEqual(exactTruth);
  expect(Object.keys(usersByPlan).sort()).toEqual(Object.keys(truthUsers).sort());
  for (const [plan, users] of Object.entries(truthUsers))
    expect(Math.abs(usersByPlan[plan]! - users)).toBeLessThanOrEqual(Math.ceil(users * 0.02));
}

/** Bytes of each partition file of the ingest topic. */
function partitionSizes(): number[] {
  const dir = join(dataDir, 'log', 'topics', 'events');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.log'))
    .map((file) => statSync(join(dir, file)).size);
}

async function restartedNumbers(): Promise<Numbers> {
  await waitUntilFolded(service.url);
  return readNumbers(service.url, historyFrom);
}

describe('the embedded service across restarts', () => {
  it('answers live and history with the ground truth of what it acknowledged', async () => {
    service = await start('first start');
    await ingestAll(service.url, events);
    await waitUntilFolded(service.url);
    before = await readNumbers(service.url, historyFrom);
    expectTruth(before, truthOf(events));
    // A restart replays each partition in more than one batch: what a sink already holds must
    // stay skipped past the first.
    for (const size of partitionSizes()) expect(size).toBeGreaterThan(MAX_BATCH_BYTES);
  }, 120_000);

  it('answers the same after SIGKILL and a restart on the same DATA_DIR', async () => {
    expect(await service.stop('SIGKILL')).toBeNull();
    service = await start('restart after SIGKILL');
    expect(await restartedNumbers()).toEqual(before);
  }, 120_000);

  it('stops cleanly on SIGTERM (exit code 0) and answers the same after a restart', async () => {
    const stopped = service;
    expect(await stopped.stop('SIGTERM')).toBe(0);
    expect(stopped.output()).toContain('"msg":"stopped"');
    service = await start('restart after SIGTERM');
    expect(await restartedNumbers()).toEqual(before);
  }, 120_000);

  it('counts events sent again with the same ids once, after restarts', async () => {
    // Everything again (a client retrying after the restart), plus new events so the fold is
    // seen to run: only the new ones may move the numbers.
    const fresh = shopEvents(100, Date.now(), 12, 'shop-after-restart');
    await ingestAll(service.url, [...events, ...fresh]);
    await waitUntilFolded(service.url);
    expectTruth(await readNumbers(service.url, historyFrom), truthOf([...events, ...fresh]));

    expect(await service.stop('SIGKILL')).toBeNull();
    service = await start('restart after the resend');
    await ingestAll(service.url, events.slice(0, 300));
    await waitUntilFolded(service.url);
    expectTruth(await readNumbers(service.url, historyFrom), truthOf([...events, ...fresh]));
  }, 150_000);
});
