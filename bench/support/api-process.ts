import type { ProcessUsage } from './proc.js';
import { cpuProfileArgs, startServiceChild } from './service-child.js';
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
  const [command, args] = withOpenFileLimit(process.execPath, [
    ...cpuProfileArgs(options.cpuProfileDir),
    '--import',
    'tsx',
    'src/main.ts',
  ]);
  const { value: url, ...child } = await startServiceChild({
    what: 'the API',
    command,
    args,
    cwd: ROOT,
    env: { ...options.settings, ROLE: 'api' },
    started: (entry) => (typeof entry.url === 'string' ? entry.url : undefined),
    ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
  });
  return { ...child, url };
}
