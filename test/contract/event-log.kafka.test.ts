// The event-log contract (event-log.contract.ts, where its cases and assertions live) on Kafka.
import { pino } from 'pino';
import { createKafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { freshName, testEnv } from '../support/services.js';
import { describeEventLogContract } from './event-log.contract.js';

describeEventLogContract('kafka', async () => {
  const log = createKafkaEventLog({
    brokers: testEnv().KAFKA_BROKERS.split(','),
    clientId: 'event-log-contract',
    logger: pino({ level: process.env.KAFKA_LOG === '1' ? 'debug' : 'silent' }),
    logLevel: process.env.KAFKA_LOG === '1' ? 'info' : 'warn',
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 500,
  });
  return {
    log,
    async topic(base, partitions) {
      const topic = freshName(base);
      await log.ensureTopics([topic], partitions);
      return topic;
    },
    group: (base) => freshName(base),
  };
});
