import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { processUsage, type ProcessUsage } from './proc.js';
import { ROOT } from './stack-env.js';

export interface FoldProcessOptions {
  /** The child's whole environment besides PATH and HOME: the service's settings. */
  settings: Record<string, string>;
  /** Write a V8 CPU profile of the child into this directory when it exits. */
  cpuProfileDir?: string;
  /** More node options for the child (e.g. --trace-gc). */
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

/**
 * Runs the fold as the service runs it, `consumers/fold.ts` in a process of its own, so its CPU
 * time and memory are its own and not the benchmark's.
 */
export async function startFoldProcess(options: FoldProcessOptions): Promise<FoldProcess> {
  const profile = options.cpuProfileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`]
    : [];
  const nodeArgs = [...profile, ...(options.nodeArgs ?? []), '--import', 'tsx'];
  const child = spawn(process.execPath, [...nodeArgs, 'consumers/fold.ts'], {
    cwd: options.root ?? ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.settings },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const problems: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  if (options.logFile) {
    const file = createWriteStream(options.logFile, { flags: 'a' });
    child.stdout!.pipe(file);
    child.stderr!.pipe(file);
  }

  const started = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the fold did not start in time:\n${stderr}`)),
      options.startTimeoutMs ?? 60_000,
    );
    let readyAt = 0;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: { level?: number; msg?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return;
      }
      if (entry.msg === 'engines ready') readyAt = performance.now();
      if (entry.msg === 'fold consumer started') {
        clearTimeout(timer);
        resolve(readyAt);
      }
      if ((entry.level ?? 0) >= 40) problems.push(line);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the fold exited with ${code} before it started:\n${stderr}`));
    });
  });
  let readyAt: number;
  try {
    readyAt = await started;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const pid = child.pid!;
  return {
    pid,
    readyAt,
    idle: processUsage(pid),
    usage: () => processUsage(pid),
    problems,
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}
