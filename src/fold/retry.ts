import { isDependencyUnavailable } from '../errors.js';

export interface RetryOptions {
  /** Stop retrying (and rethrow) once this says so, e.g. the partition was revoked. */
  giveUp: () => boolean;
  /** Called while waiting, e.g. to heartbeat the consumer group. */
  onWait?: (error: unknown, attempt: number, delayMs: number) => Promise<void> | void;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Retries `work` while it fails because a dependency is unavailable, with exponential backoff
 * capped at maxDelayMs. Any other error is a bug and is rethrown at once.
 */
export async function retryWhileUnavailable<T>(
  work: () => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const initial = options.initialDelayMs ?? 100;
  const max = options.maxDelayMs ?? 5_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isDependencyUnavailable(error) || options.giveUp()) throw error;
      const delay = Math.min(max, initial * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      await options.onWait?.(error, attempt, delay);
      await sleep(delay);
    }
  }
}
