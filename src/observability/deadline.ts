/**
 * Settles like `work`, or rejects once `ms` passed: a probe or a scrape never waits on a client's
 * own retries (ioredis' offline queue, kafkajs' admin retries) longer than its caller can.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
