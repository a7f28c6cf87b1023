// The event-log contract (event-log.contract.ts, where its cases and assertions live) on the
// embedded log.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createEmbeddedEventLog } from '../../src/adapters/embedded-log/event-log.js';
import { describeEventLogContract } from './event-log.contract.js';

describeEventLogContract('embedded', async () => {
  const log = createEmbeddedEventLog({
    dir: mkdtempSync(join(tmpdir(), 'event-log-')),
    logger: pino({ level: 'silent' }),
  });
  let n = 0;
  return {
    log,
    async topic(base, partitions) {
      const topic = `${base}.${n++}`;
      await log.ensureTopics([topic], partitions);
      return topic;
    },
    group: (base) => `${base}.${n++}`,
  };
});
