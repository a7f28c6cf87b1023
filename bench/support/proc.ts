import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

export interface ProcessUsage {
  /** User + system CPU time since the process started. */
  cpuSeconds: number;
  rssBytes: number;
  /** The process's peak resident set so far (VmHWM). */
  peakRssBytes: number;
}

/** CPU and memory of any process on this machine, read from /proc (Linux only). */
export function processUsage(pid: number): ProcessUsage {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return {
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
    rssBytes: kib('VmRSS') * 1024,
    peakRssBytes: kib('VmHWM') * 1024,
  };
}

/** The 1-minute load average. */
export const loadAverage = (): number =>
  Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
