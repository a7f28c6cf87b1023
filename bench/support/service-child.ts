import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { processUsage, type ProcessUsage } from './proc.js';

/** One JSON log line of the service (pino), as far as starting it needs. */
export interface LogEntry {
  level?: number;
  msg?: string;
  url?: string;
}

export interface ServiceChildOptions<T> {
  /** What it is, for errors: "the API", "the fold". */
  what: string;
  command: string;
  args: string[];
  cwd: string;
  /** The child's whole environment besides PATH and HOME. */
  env: Record<string, string>;
  /** Returns a value once a log line says the child is up; until then undefined. */
  started(entry: LogEntry): T | undefined;
  startTimeoutMs?: number;
  /** Append the child's output (its log lines) to this file. */
  logFile?: string;
}

export interface ServiceChild<T> {
  pid: number;
  /** What `started` returned. */
  value: T;
  /** Its usage once started, before any work. */
  idle: ProcessUsage;
  usage(): ProcessUsage;
  /** Log lines at warn level or above, for the report. */
  problems: string[];
  /** SIGTERM, then waits for the exit (a CPU profile is written then); SIGKILL after 20 s. */
  stop(): Promise<void>;
}

/**
 * Runs a service process of its own (its CPU time and memory are then its own, not the
 * benchmark's) and waits until its log says it is up; a child that exits or stays silent first is
 * killed and its stderr given in the error.
 */
export async function startServiceChild<T>(
  options: ServiceChildOptions<T>,
): Promise<ServiceChild<T>> {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
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

  const up = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${options.what} did not start in time:\n${stderr}`)),
      options.startTimeoutMs ?? 60_000,
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: LogEntry;
      try {
        entry = JSON.parse(line) as LogEntry;
      } catch {
        return;
      }
      const value = options.started(entry);
      if (value !== undefined) {
        clearTimeout(timer);
        resolve(value);
      }
      if ((entry.level ?? 0) >= 40) problems.push(line);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${options.what} exited with ${code} before it started:\n${stderr}`));
    });
  });
  let value: T;
  try {
    value = await up;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const pid = child.pid!;
  return {
    pid,
    value,
    idle: processUsage(pid),
    usage: () => processUsage(pid),
    problems,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export const cpuProfileArgs = (dir: string | undefined): string[] =>
  dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
