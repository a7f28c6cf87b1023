import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { processUsage, type ProcessUsage } from './proc.js';
import { ROOT } from './stack-env.js';
import { withOpenFileLimit } from './ulimit.js';

export interface ApiProcessOptions {
  /** The child's whole environment besides PATH and HOME: the service's settings. */
  settings: Record<string, string>;
  /** Write a V8 CPU profile of the child into this directory when it exits. */
  cpuProfileDir?: string;
  startTimeoutMs?: number;
}

export interface ApiProcess {
  pid: number;
  /** The /graphql endpoint it listens on. */
  url: string;
  /** Its usage once listening, before any request. */
  idle: ProcessUsage;
  usage(): ProcessUsage;
  /** Log lines at warn level or above, for the report. */
  problems: string[];
  /** SIGTERM, then waits for the exit (the CPU profile is written then). */
  stop(): Promise<void>;
}

/**
 * Runs the API as `npm start` does with ROLE=api (`src/main.ts`), in a process of its own with the
 * open-file limit raised to the hard limit (one descriptor per subscriber's socket), and waits for
 * its "listening" line. Its CPU time and memory are then its own, not the benchmark's.
 */
export async function startApiProcess(options: ApiProcessOptions): Promise<ApiProcess> {
  const profile = options.cpuProfileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`]
    : [];
  const [command, args] = withOpenFileLimit(process.execPath, [
    ...profile,
    '--import',
    'tsx',
    'src/main.ts',
  ]);
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.settings, ROLE: 'api' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const problems: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the API did not start in time:\n${stderr}`)),
      options.startTimeoutMs ?? 60_000,
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: { level?: number; url?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return;
      }
      if (typeof entry.url === 'string') {
        clearTimeout(timer);
        resolve(entry.url);
      }
      if ((entry.level ?? 0) >= 40) problems.push(line);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the API exited with ${code} before it listened:\n${stderr}`));
    });
  });
  let url: string;
  try {
    url = await listening;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const pid = child.pid!;
  return {
    pid,
    url,
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
