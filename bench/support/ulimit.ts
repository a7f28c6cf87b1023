import { execFileSync } from 'node:child_process';

/** The hard limit of open files a child may raise its soft limit to (Infinity when unlimited). */
export function hardOpenFileLimit(): number {
  const text = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  return text === 'unlimited' ? Infinity : Number(text);
}

/**
 * `command args` run through `sh` with the soft open-file limit raised to the hard one: Node cannot
 * raise its own, and a process holding thousands of sockets needs a descriptor for each.
 * Returns what to pass to spawn(); the child keeps its stdio and IPC channel (exec).
 */
export function withOpenFileLimit(command: string, args: string[]): [string, string[]] {
  return ['sh', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"', command, ...args]];
}
