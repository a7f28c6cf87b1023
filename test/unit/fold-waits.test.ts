// A fold step whose dependency is away is waited out, and every wait is told: counted by step,
// reported to onRetry, with the batch heartbeating meanwhile. The mapping refresh that opens each
// batch once waited in silence (a Redis outage then looked like a stalled consumer).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngines, type Engines } from '../../src/app/engines.js';
import { loadConfig } from '../../src/config.js';
import { DependencyUnavailableError } from '../../src/errors.js';
import { createFold } from '../../src/fold/fold.js';
import { memoryLogger } from '../support/app.js';
import { testFoldOptions, viewBatch } from '../support/fold.js';

const TOPIC = 'events';
let dir: string | undefined;
let engines: Engines | undefined;

afterEach(async () => {
  await engines?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  engines = undefined;
  dir = undefined;
});

async function foldWith(refreshMappings: () => Promise<void>) {
  dir = await mkdtemp(join(tmpdir(), 'pulsegraph-fold-waits-'));
  const config = loadConfig({ DATA_DIR: dir, NODE_ENV: 'test' });
  engines = await createEngines(config, memoryLogger(config).logger);
  const waits: { step: string; attempt: number }[] = [];
  const fold = createFold(
    testFoldOptions(engines, config, {
      historyFlushRows: 1,
      refreshMappings,
      onRetry: (step, _error, attempt) => waits.push({ step, attempt }),
    }),
  );
  return { fold, waits };
}

const batchOf = (count: number) => viewBatch({ topic: TOPIC, partition: 0 }, count);

describe('fold waits', () => {
  it('reports each wait of the mapping refresh, heartbeats, then folds the batch', async () => {
    let failures = 2;
    const { fold, waits } = await foldWith(async () => {
      if (failures-- > 0) throw new DependencyUnavailableError('topic mappings');
    });
    const { batch, heartbeats } = batchOf(5);
    await fold.onAssigned([{ topic: TOPIC, partition: 0 }]);

    await (
      await fold.onBatch(batch)
    )?.durable;

    expect(waits).toEqual([
      { step: 'mappings', attempt: 1 },
      { step: 'mappings', attempt: 2 },
    ]);
    expect(fold.metrics.retries.values().get('mappings')).toBe(2);
    // one as the step starts, one per wait, at least
    expect(heartbeats()).toBeGreaterThanOrEqual(3);
    expect(fold.metrics.folded.values().get('')).toBe(5);
  });

  it('rejects the batch at once when the refresh fails for another reason', async () => {
    const { fold, waits } = await foldWith(async () => {
      throw new TypeError('a bug');
    });
    await fold.onAssigned([{ topic: TOPIC, partition: 0 }]);

    await expect(fold.onBatch(batchOf(1).batch)).rejects.toThrow('a bug');
    expect(waits).toEqual([]);
    expect(fold.metrics.folded.values().get('')).toBeUndefined();
  });
});
