import type { Redis } from 'ioredis';

/** Calls and Redis's own time (µs) per command name, from INFO commandstats. */
export type CommandStats = Map<string, { calls: number; usec: number }>;

/** Redis's command counters, server-wide. */
export async function redisCommandStats(redis: Redis): Promise<CommandStats> {
  const stats: CommandStats = new Map();
  for (const m of (await redis.info('commandstats')).matchAll(
    /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm,
  ))
    stats.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  return stats;
}

/** Redis's CPU time so far, user and system, in seconds. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const cpu = await redis.info('cpu');
  return infoField(cpu, 'used_cpu_user') + infoField(cpu, 'used_cpu_sys');
}

/** A numeric field of an INFO section's text (0 when absent). */
export function infoField(info: string, name: string): number {
  return Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
}
