import type { ClickHouseClient } from '@clickhouse/client';
import type { Redis } from 'ioredis';
import type { StackEnv } from '../support/stack-env.js';
import type { CountQuery, WindowCounts } from './workload.js';

/** What every peer of a run shares: the engines and the names the run's leftovers go by. */
export interface PeerContext {
  env: StackEnv;
  brokers: string[];
  /** Topics and consumer groups of the run start with this. */
  kafkaPrefix: string;
  /** Keys of the run live under `<redisPrefix>:`. */
  redisPrefix: string;
  redis: Redis;
  clickhouse: ClickHouseClient;
  partitions: number;
  log: (line: string) => void;
}

/** One peer consuming one topic into its sink. */
export interface RunningPeer {
  /** performance.now() when its consumer was about to start: its engines and job are up. */
  readyAt: number;
  /** How many of the topic's events its sink holds, by its own progress record. */
  folded(): Promise<number>;
  /** The count over all event names of one 10 s window, as a reader of its sink sees it now. */
  windowTotal(startMs: number): Promise<number>;
  /** Its sink's counts of the asked windows, per series (name total and each dimension value). */
  windowCounts(query: CountQuery): Promise<WindowCounts>;
  /** Stops consuming and frees what it holds (its sink's data stays until the run's clean-up). */
  stop(): Promise<void>;
  /** What limited or shaped it so far, for the report. */
  notes(): string[];
}

/** A system doing the job: started once per topic. */
export interface PeerSystem {
  system: 'pulsegraph' | 'clickhouse-kafka-engine' | 'spark-structured-streaming';
  /** How often its sink is read while waiting: reads cost the engine, and so the peer, CPU. */
  pollMs: number;
  start(topic: string): Promise<RunningPeer>;
}
