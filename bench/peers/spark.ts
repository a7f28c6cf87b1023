import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { percentile } from '../support/stats.js';
import type { PeerContext, PeerSystem, RunningPeer } from './peer.js';
import { EVENT_NAMES, seriesKey, type WindowCounts } from './workload.js';

const PROJECT = fileURLToPath(new URL('./spark/', import.meta.url));
const JAR = join(PROJECT, 'target/spark-peer.jar');
const SOURCES = [
  join(PROJECT, 'pom.xml'),
  join(PROJECT, 'src/main/java/pulsegraph/bench/SparkPeer.java'),
  join(PROJECT, 'src/main/resources/log4j2.properties'),
];
/** Spark 3.5 reaches into JDK internals; `spark-submit` adds these for Java 17, a bare `java` must. */
const JAVA_17_OPENS = [
  'java.lang',
  'java.lang.invoke',
  'java.lang.reflect',
  'java.io',
  'java.net',
  'java.nio',
  'java.util',
  'java.util.concurrent',
  'java.util.concurrent.atomic',
  'sun.nio.ch',
  'sun.nio.cs',
  'sun.security.action',
  'sun.util.calendar',
].map((pkg) => `--add-opens=java.base/${pkg}=ALL-UNNAMED`);
const HEAP = '-Xmx1536m';
const START_TIMEOUT_MS = 180_000;

/** Builds the job with Maven when its jar is missing or older than its sources. */
function ensureBuilt(log: (line: string) => void): void {
  const built = existsSync(JAR) ? statSync(JAR).mtimeMs : 0;
  if (SOURCES.every((source) => statSync(source).mtimeMs < built)) return;
  log('spark: building the job (mvn -q package; the first build downloads Spark, ~230 MB)');
  const result = spawnSync('mvn', ['-q', '-B', 'package'], { cwd: PROJECT, encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`mvn package failed in ${PROJECT}:\n${result.stdout}${result.stderr}`);
}

function batchSummary(batches: { rows: number; ms: number }[]): string {
  if (batches.length === 0) return 'no micro-batch read anything';
  const ms = batches.map((b) => b.ms).sort((a, b) => a - b);
  const rows = batches.map((b) => b.rows).sort((a, b) => a - b);
  return (
    `${batches.length} micro-batches (both queries): duration median ${percentile(ms, 0.5)} ms, ` +
    `max ${ms.at(-1)} ms; input rows median ${percentile(rows, 0.5)}`
  );
}

/**
 * Spark Structured Streaming in local mode (local[2], one JVM of at most 1.5 GB heap) running
 * spark/src/main/java/pulsegraph/bench/SparkPeer.java: two streaming queries (10 s and 1 minute
 * windows) reading the topic from its start, writing changed windows to Redis after each micro-batch.
 */
export function createSparkPeer(context: PeerContext): PeerSystem {
  let runs = 0;
  return {
    system: 'spark-structured-streaming',
    pollMs: 10,
    async start(topic) {
      ensureBuilt(context.log);
      const prefix = `${context.redisPrefix}:spark${runs++}`;
      const checkpoint = mkdtempSync(join(tmpdir(), 'bench-peers-spark-'));
      const launchedAt = performance.now();
      const child = spawn(
        'java',
        [
          HEAP,
          ...JAVA_17_OPENS,
          '-Djdk.reflect.useDirectMethodHandle=false',
          '-cp',
          `${JAR}:${join(PROJECT, 'target/lib/*')}`,
          'pulsegraph.bench.SparkPeer',
          ...['--brokers', context.env.KAFKA_BROKERS],
          ...['--topic', topic],
          ...['--redis', context.env.REDIS_URL],
          ...['--prefix', prefix],
          ...['--checkpoint', checkpoint],
          ...['--shuffle-partitions', String(context.partitions)],
        ],
        { cwd: checkpoint, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      /** Micro-batches of both queries that read something: their input rows and duration. */
      const batches: { rows: number; ms: number }[] = [];
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-20_000);
      });
      const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(checkpoint, { recursive: true, force: true });
      };
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`the Spark job did not start in time:\n${stderr}`)),
            START_TIMEOUT_MS,
          );
          createInterface({ input: child.stdout! }).on('line', (line) => {
            const batch = /^batch (w\d+) (\d+) (\d+)$/.exec(line);
            if (batch) batches.push({ rows: Number(batch[2]), ms: Number(batch[3]) });
            if (line === 'spark peer started') {
              clearTimeout(timer);
              resolve();
            }
          });
          void exited.then((code) => {
            clearTimeout(timer);
            reject(new Error(`the Spark job exited with ${code}:\n${stderr}`));
          });
        });
      } catch (error) {
        await stop();
        throw error;
      }
      const readyAt = performance.now();
      const failed = () => {
        if (child.exitCode !== null)
          throw new Error(`the Spark job exited with ${child.exitCode}:\n${stderr}`);
      };
      const peer: RunningPeer = {
        readyAt,
        notes: () => [
          `JVM + SparkSession + query start took ${((readyAt - launchedAt) / 1000).toFixed(1)} s (not counted)`,
          batchSummary(batches),
        ],
        async folded() {
          failed();
          const progress = await context.redis.hmget(`${prefix}:progress`, 'w10', 'w60');
          return Math.min(...progress.map((rows) => Number(rows ?? 0)));
        },
        async windowTotal(startMs) {
          failed();
          const totals = EVENT_NAMES.map((name) => `${name}||`);
          const values = await context.redis.hmget(`${prefix}:w10:${startMs}`, ...totals);
          return values.reduce((sum, value) => sum + Number(value?.split('|')[0] ?? 0), 0);
        },
        async windowCounts(query) {
          const counts: WindowCounts = new Map();
          for (const { seconds, startMs } of query.windows) {
            const fields = await context.redis.hgetall(`${prefix}:w${seconds}:${startMs}`);
            for (const [field, value] of Object.entries(fields)) {
              const [name, dimKey, dimValue] = field.split('|');
              counts.set(
                seriesKey({ seconds, startMs, name: name!, dimKey: dimKey!, dimValue: dimValue! }),
                Number(value.split('|')[0]),
              );
            }
          }
          return counts;
        },
        stop,
      };
      return peer;
    },
  };
}
