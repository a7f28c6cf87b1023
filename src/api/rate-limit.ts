import { rateLimited } from './errors.js';

export interface RateLimiter {
  /** Takes one token for `key`; throws RATE_LIMITED (with when to retry) when there is none. */
  take(key: string): void;
}

/**
 * A token bucket per API key: `burst` tokens, refilled at `perSecond`. Keys are the configured
 * keys only (the limiter runs after authentication), so the map stays as small as API_KEYS.
 */
export function createRateLimiter(options: {
  perSecond: number;
  burst: number;
  /** Milliseconds from a monotonic source (default performance.now): wall-clock jumps must not drain buckets. */
  clock?: () => number;
}): RateLimiter {
  const clock = options.clock ?? (() => performance.now());
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const now = clock();
      const bucket = buckets.get(key) ?? { tokens: options.burst, at: now };
      const refill = (Math.max(0, now - bucket.at) / 1000) * options.perSecond;
      bucket.tokens = Math.min(options.burst, bucket.tokens + refill);
      bucket.at = now;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      throw rateLimited(
        `too many requests for this API key: at most ${options.perSecond}/s (burst ${options.burst})`,
        {
          limit: 'RATE_LIMIT_PER_SECOND',
          max: options.perSecond,
          retryAfterMs: Math.ceil(((1 - bucket.tokens) / options.perSecond) * 1000),
        },
      );
    },
  };
}
