import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { fixIdleRequestLoop } from '../../src/adapters/kafka/request-queue-fix.js';

export interface RawConsumeOptions {
  brokers: string[];
  topic: string;
  /** Records the topic holds: the measurement ends when this many were handed over. */
  records: number;
  groupId: string;
  /** kafkajs partitionsConsumedConcurrently. */
  concurrency: number;
}

export interface RawConsumeResult {
  /** From connect() until the last record: the same span as a consumer process that starts. */
  fromStartSeconds: number;
  /** Records after the first batch per second since it: group join and first fetch left out. */
  steadyRecordsPerSecond: number;
  /** This process's CPU time over fromStart (it does nothing else meanwhile). */
  cpuSeconds: number;
}

/**
 * The ceiling of any consumer on this machine: kafkajs reading the topic with an eachBatch that
 * does nothing, from the earliest offset, under a group of its own.
 */
export async function rawConsume(options: RawConsumeOptions): Promise<RawConsumeResult> {
  // The same kafkajs as the service's: the baseline must not pay for a bug the service is spared.
  fixIdleRequestLoop();
  const kafka = new Kafka({
    clientId: 'bench-raw',
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: options.groupId });
  const started = performance.now();
  const cpu = process.cpuUsage();
  let firstBatch = 0;
  let firstBatchRecords = 0;
  let seen = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: options.concurrency,
      eachBatch: async ({ batch }) => {
        if (seen === 0) {
          firstBatch = performance.now();
          firstBatchRecords = batch.messages.length;
        }
        seen += batch.messages.length;
        if (seen >= options.records) finish();
      },
    });
    await done;
    const ended = performance.now();
    const used = process.cpuUsage(cpu);
    return {
      fromStartSeconds: (ended - started) / 1000,
      steadyRecordsPerSecond: ((options.records - firstBatchRecords) * 1000) / (ended - firstBatch),
      cpuSeconds: (used.user + used.system) / 1e6,
    };
  } finally {
    await consumer.disconnect();
  }
}
