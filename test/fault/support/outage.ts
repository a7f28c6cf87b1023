// One dependency of the fold stopped in the middle of a stream and started again.
import { expect } from 'vitest';
import type { PrivateService } from '../../support/private-services.js';
import { waitFor } from '../../support/services.js';
import { expectWaiting, type ConsumerProcess } from './consumer-process.js';
import type { StreamProducer } from './stream.js';

export interface OutageOptions {
  consumer: ConsumerProcess;
  producer: StreamProducer;
  /** The history rows of the stream's topic so far. */
  rows: () => Promise<number>;
  /** The consumer group's member ids. */
  members: () => Promise<string[]>;
  service: PrivateService;
  sessionTimeoutMs: number;
  /** The fold step the consumer must say it waits for (any when absent). */
  step?: string;
}

/**
 * Folds part of the stream, stops `service` while the next part arrives and is being folded,
 * sends more while it is away, checks that the consumer waits longer than a session timeout as
 * the same group member, then starts the service again and sends the rest.
 */
export async function foldThroughOutage(options: OutageOptions): Promise<void> {
  const { consumer, producer, service } = options;
  await producer.send(0.3, 100);
  await waitFor(async () => (await options.rows()) > 0, {
    timeout: 30_000,
    message: 'folding before the outage',
  });
  const membersBefore = await options.members();
  expect(membersBefore).toHaveLength(1);

  const sending = producer.send(0.2, 100);
  await service.stop();
  const stoppedAt = Date.now();
  await sending;
  await producer.send(0.2, 100);
  await expectWaiting(consumer, {
    since: stoppedAt,
    sessionTimeoutMs: options.sessionTimeoutMs,
    ...(options.step === undefined ? {} : { step: options.step }),
  });
  // Longer than a session timeout: only heartbeats during the wait kept the membership.
  expect(await options.members(), 'the same member').toEqual(membersBefore);

  await service.start();
  await producer.finish(100);
}
