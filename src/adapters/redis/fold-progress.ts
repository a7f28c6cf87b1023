import type { Redis } from 'ioredis';
import type { FoldProgressStore, PartitionProgress } from '../../ports/fold-progress.js';
import { redisKey } from './keys.js';

/** One hash per topic: field = partition, value = "offset:recordTimestamp". */
export function createRedisFoldProgress({
  redis,
  prefix,
}: {
  redis: Redis;
  prefix: string;
}): FoldProgressStore {
  const topicKey = (topic: string) => redisKey(prefix, 'progress', topic);
  return {
    async record(progress) {
      const pipeline = redis.pipeline();
      for (const p of progress)
        pipeline.hset(topicKey(p.topic), String(p.partition), `${p.offset}:${p.recordTimestamp}`);
      const results = (await pipeline.exec()) ?? [];
      for (const [error] of results) if (error) throw error;
    },
    async read(topics) {
      const pipeline = redis.pipeline();
      for (const topic of topics) pipeline.hgetall(topicKey(topic));
      const results = (await pipeline.exec()) ?? [];
      return topics.flatMap((topic, i): PartitionProgress[] => {
        const [error, raw] = results[i] ?? [null, {}];
        if (error) throw error;
        return Object.entries(raw as Record<string, string>).map(([partition, value]) => {
          const [offset, recordTimestamp] = value.split(':').map(Number);
          return {
            topic,
            partition: Number(partition),
            offset: offset!,
            recordTimestamp: recordTimestamp!,
          };
        });
      });
    },
    async close() {},
  };
}
