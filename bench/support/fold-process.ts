import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ProcessUsage } from './proc.js';
import { cpuProfileArgs, startServiceChild } from './service-child.js';
import { ROOT } from './stack-env.js';

export interface FoldProcessOptions {
  /** The child's whole environment besides PATH and HOME: the service's settings. */
  settings: Record<string, string>;
  /** Write a V8 CPU profile of the child into this directory when it exits. */
  cpuProfileDir?: string;
  /** More node options for the child (e.g. --trace-gc), after those of `npm run fold`. */
  nodeArgs?: string[];
  /** Append the child's output (its log lines) to this file. */
  logFile?: string;
  /** The checkout whose consumers/fold.ts runs (default this one): to compare two versions. */
  root?: string;
  /** How long to wait for the consumer to start. */
  startTimeoutMs?: number;
}

export interface FoldProcess {
  pid: number;
  /** performance.now() when the child reported its engines ready: the consumer starts next. */
  readyAt: number;
  /** The child's usage right after its engines were ready, before it folded anything. */
  idle: ProcessUsage;
  usage(): ProcessUsage;
  /** Log lines at warn level or above, for the report. */
  problems: string[];
  /** SIGTERM, then waits for the exit (the CPU profile is written then). */
  stop(): Promise<void>;
}

/** The node options `npm run fold` gives the fold (package.json), so the bench measures the same. */
function foldScriptNodeOptions(root: string): string[] {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const words = (scripts.fold ?? '').split(/\s+/);
  return words.slice(1, words.indexOf('--import')).filter((word) => word.startsWith('--'));
}

/**
 * Runs the fold as the service runs it, `consumers/fold.ts` in a process of its own, so its CPU
 * time and memory are its own and not the benchmark's.
 */
export async function startFoldProcess(options: FoldProcessOptions): Promise<FoldProcess> {
  let readyAt = 0;
  const { value, ...child } = await startServiceChild({
    what: 'the fold',
    command: process.execPath,
    args: [
      ...cpuProfileArgs(options.cpuProfileDir),
      ...foldScriptNodeOptions(options.root ?? ROOT),
      ...(options.nodeArgs ?? []),
      '--import',
      'tsx',
      'consumers/fold.ts',
    ],
    cwd: options.root ?? ROOT,
    env: options.settings,
    started(entry) {
      if (entry.msg === 'engines ready') readyAt = performance.now();
      return entry.msg === 'fold consumer started' ? readyAt : undefined;
    },
    ...(options.logFile ? { logFile: options.logFile } : {}),
    ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
  });
  return { ...child, readyAt: value };
}
