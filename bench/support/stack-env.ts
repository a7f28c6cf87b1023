import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const STACK_DIR = process.env.STACK_DIR ?? `${ROOT}.stack`;

export interface StackEnv {
  KAFKA_BROKERS: string;
  REDIS_URL: string;
  CLICKHOUSE_URL: string;
}

/**
 * The engines' addresses: the environment first, then the `.stack/env` that `npm run stack:up`
 * writes, then the stack's defaults.
 */
export function stackEnv(): StackEnv {
  const file: Record<string, string> = {};
  const path = `${STACK_DIR}/env`;
  if (existsSync(path))
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) file[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
  const pick = (name: keyof StackEnv, fallback: string) =>
    process.env[name] || file[name] || fallback;
  return {
    KAFKA_BROKERS: pick('KAFKA_BROKERS', '127.0.0.1:19092'),
    REDIS_URL: pick('REDIS_URL', 'redis://127.0.0.1:6379'),
    CLICKHOUSE_URL: pick('CLICKHOUSE_URL', 'http://127.0.0.1:18123'),
  };
}

/** The pid in one of the stack's pid files (`kafka/kafka.pid`), or null when it is not there. */
export function stackPid(file: string): number | null {
  const path = `${STACK_DIR}/${file}`;
  if (!existsSync(path)) return null;
  const pid = Number(readFileSync(path, 'utf8').trim());
  return Number.isInteger(pid) && existsSync(`/proc/${pid}`) ? pid : null;
}
